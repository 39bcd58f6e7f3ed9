#pragma once
// The image canvas: draws the image, the instance overlay, the live preview and the prompts, and hands
// mouse input to the current tool (ui/canvas_tool.h), whose gestures (prompts, strokes, selections, in
// image pixel coordinates) it passes on.
//
// Zoom with the wheel (around the cursor), fit() and actual_size(); pan with the middle button or
// space + left drag; Ctrl+click selects in every tool. Large images stay smooth: the image is kept as
// a pyramid of halved copies and only the visible part of the level nearest the screen resolution is
// drawn.
#include <QImage>
#include <QPainterPath>
#include <QPointF>
#include <QRectF>
#include <QWidget>
#include <memory>
#include <vector>

#include "core/engine/engine.h"
#include "ui/canvas_tool.h"
#include "ui/display_adjustment.h"
#include "ui/overlay.h"

namespace xs {

class ImageCanvas : public QWidget, private ToolView {
    Q_OBJECT
public:
    explicit ImageCanvas(QWidget* parent = nullptr);

    // levels[0] is the full image, levels[k] the image halved k times.
    void set_image(std::vector<QImage> levels);
    void clear_image(const QString& message);  // no image; the message is shown in the middle
    bool has_image() const { return !levels_.empty(); }
    QSize image_size() const { return levels_.empty() ? QSize() : levels_[0].size(); }

    void set_instances(const ImageRecord* image, const Project& project);
    void set_overlay_style(const OverlayStyle& style);
    // Brightness, contrast and gamma of what is drawn (only here: the levels given to set_image stay
    // as they are). The level on screen is adjusted when first drawn and kept until the next change.
    void set_display_adjustment(const DisplayAdjustment& adjustment);
    const DisplayAdjustment& display_adjustment() const { return adjustment_; }
    const OverlayStyle& overlay_style() const { return style_; }
    int64_t instance_at(QPointF image_pos) const;

    // Masks shown as the live preview (not yet accepted), and the selected instances' masks.
    void set_preview(std::vector<Mask> masks);
    void set_selection(std::vector<Mask> masks);
    void set_hover(std::vector<Mask> masks);  // the instance under the cursor, highlighted
    // What a click at the pointer would give (ui/hover_preview.h), drawn dimmer than the live preview.
    void set_hover_preview(std::vector<Mask> masks);
    bool gesture_in_progress() const { return drag_button_ != Qt::NoButton || panning_; }
    void set_highlight(std::vector<Mask> masks, QColor color);  // e.g. a caption phrase's mask, in its colour
    void set_prompts(const SegmentRequest& prompts);  // points, boxes and scribbles to draw
    // "Find all like this" candidates: dashed outlines (the current one brighter and lightly filled),
    // each numbered; they are not instances until accepted.
    void set_candidates(const std::vector<Mask>& masks, int current);
    int candidate_at(QPointF image_pos) const;  // index of the smallest candidate there, -1 if none

    // The canvas owns the tool; `name` is its action's (the tool bar and tests read it back). The
    // tool before it is finished first (CanvasTool::finish), as it is when the image changes.
    void set_tool(std::unique_ptr<CanvasTool> tool, const QString& name);
    void finish_tool();
    const QString& tool_name() const { return tool_name_; }
    const CanvasTool* tool() const { return tool_.get(); }
    void set_brush_radius(double radius);
    double brush_radius() const override { return brush_radius_; }

    double zoom() const { return scale_; }
    void fit();
    void actual_size();
    void zoom_by(double factor, QPointF widget_anchor);
    QPointF widget_to_image(QPointF p) const { return (p - offset_) / scale_; }
    QPointF image_to_widget(QPointF p) const override { return p * scale_ + offset_; }

Q_SIGNALS:
    void gesture(const xs::Gesture& gesture);  // a finished gesture of the tool, or a Ctrl+click selection
    void hovered_instance_changed(int64_t instance_id);
    void cursor_moved(QPointF image_pos);
    // The pointer moved over the image with no button down, in a tool whose click places a point; or
    // it left the image (also: the canvas, another tool, another image).
    void click_point_moved(QPointF image_pos);
    void click_point_left();
    void zoom_changed(double zoom);

protected:
    void paintEvent(QPaintEvent*) override;
    void resizeEvent(QResizeEvent*) override;
    void wheelEvent(QWheelEvent*) override;
    void mousePressEvent(QMouseEvent*) override;
    void mouseMoveEvent(QMouseEvent*) override;
    void mouseReleaseEvent(QMouseEvent*) override;
    void mouseDoubleClickEvent(QMouseEvent*) override;
    bool event(QEvent*) override;
    void keyPressEvent(QKeyEvent*) override;
    void keyReleaseEvent(QKeyEvent*) override;
    void leaveEvent(QEvent*) override;

private:
    struct MaskLayer {
        std::vector<Mask> masks;
        QColor fill, outline;
        int level = -1;  // level the cached image was rendered at
        QImage image;
        QRect rect;  // in level pixels
    };
    int current_level() const;
    void draw_level_image(QPainter& p, const QImage& img, int level, QRect level_rect, bool smooth) const;
    void draw_mask_layer(QPainter& p, MaskLayer& layer, int level);
    void draw_prompts(QPainter& p) const;
    void update_hover(QPointF widget_pos);
    void update_click_point(QPointF image_pos);
    void update_cursor();
    ToolEvent tool_event(const QMouseEvent* e) const;
    CanvasTool::Emit emitter();
    // ToolView
    bool inside_image(QPointF image_pos) const override;
    QSizeF image_extent() const override { return QSizeF(image_size()); }
    double scale() const override { return scale_; }
    QPointF mouse_widget() const override { return mouse_widget_; }

    const QImage& shown_level(int level);

    std::vector<QImage> levels_;
    DisplayAdjustment adjustment_;
    std::vector<QImage> adjusted_levels_;  // per level, made when first drawn; null until then
    QString message_;
    LabelOverlay overlay_;
    OverlayStyle style_;
    MaskLayer preview_, selection_, hover_, highlight_, hover_preview_;
    SegmentRequest prompts_;
    struct CandidateShape {
        QPainterPath outline;  // image coordinates (pixel edges)
        QRectF box;
        const Mask* mask = nullptr;
    };
    std::vector<Mask> candidate_masks_;
    std::vector<CandidateShape> candidates_;
    int current_candidate_ = -1;
    MaskLayer candidate_fill_;
    void draw_candidates(QPainter& p);

    double scale_ = 1.0;
    QPointF offset_;
    bool fit_mode_ = true;

    std::unique_ptr<CanvasTool> tool_;
    QString tool_name_;
    double brush_radius_ = 12.0;
    bool space_down_ = false;
    bool panning_ = false;
    QPointF pan_last_;
    Qt::MouseButton drag_button_ = Qt::NoButton;  // the tool's gesture in progress
    QPointF mouse_widget_{-1, -1};
    int64_t hovered_ = 0;
};

}  // namespace xs

Q_DECLARE_METATYPE(xs::Gesture)
