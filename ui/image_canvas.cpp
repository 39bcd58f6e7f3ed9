#include "ui/image_canvas.h"

#include "core/mask/polygon.h"

#include <QFontMetrics>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

namespace xs {

namespace {

const QColor kBackground(0x26, 0x28, 0x2b);
const QColor kPositive(0x2e, 0xcc, 0x71);
const QColor kNegative(0xe7, 0x4c, 0x3c);
const QColor kBox(0xf1, 0xc4, 0x0f);
constexpr double kMinZoom = 0.01;
constexpr double kMaxZoom = 64.0;

}  // namespace

ImageCanvas::ImageCanvas(QWidget* parent) : QWidget(parent) {
    qRegisterMetaType<xs::Gesture>();
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMinimumSize(320, 240);
    preview_.fill = QColor(0x00, 0xd0, 0xff, 110);
    preview_.outline = QColor(0xff, 0xff, 0xff, 255);
    selection_.fill = QColor(0xff, 0xff, 0xff, 60);
    selection_.outline = QColor(0xff, 0xd7, 0x00, 255);
    hover_.fill = QColor(0xff, 0xff, 0xff, 45);
    hover_.outline = QColor(0xff, 0xff, 0xff, 200);
    // The preview's look at half strength: what a click would give, not yet asked for.
    hover_preview_.fill = QColor(0x00, 0xd0, 0xff, 50);
    hover_preview_.outline = QColor(0xff, 0xff, 0xff, 130);
    clear_image(tr("Open a folder of images (Ctrl+O)"));
}

void ImageCanvas::set_image(std::vector<QImage> levels) {
    finish_tool();
    levels_ = std::move(levels);
    adjusted_levels_.assign(levels_.size(), QImage());
    message_.clear();
    overlay_.clear();
    preview_.masks.clear();
    selection_.masks.clear();
    hover_.masks.clear();
    hover_preview_.masks.clear();
    preview_.level = selection_.level = hover_.level = hover_preview_.level = -1;
    prompts_ = SegmentRequest();
    hovered_ = 0;
    Q_EMIT click_point_left();
    fit();
}

void ImageCanvas::clear_image(const QString& message) {
    finish_tool();
    levels_.clear();
    adjusted_levels_.clear();
    overlay_.clear();
    preview_.masks.clear();
    selection_.masks.clear();
    hover_.masks.clear();
    hover_preview_.masks.clear();
    prompts_ = SegmentRequest();
    message_ = message;
    Q_EMIT click_point_left();
    update();
}

void ImageCanvas::set_instances(const ImageRecord* image, const Project& project) {
    overlay_.set_instances(image, project, style_);
    update();
}

void ImageCanvas::set_overlay_style(const OverlayStyle& style) {
    style_ = style;
    overlay_.set_style(style);
    update();
}

void ImageCanvas::set_display_adjustment(const DisplayAdjustment& adjustment) {
    if (adjustment == adjustment_) return;
    adjustment_ = adjustment;
    adjusted_levels_.assign(levels_.size(), QImage());
    update();
}

const QImage& ImageCanvas::shown_level(int level) {
    if (adjustment_.is_identity()) return levels_[level];
    QImage& adjusted = adjusted_levels_[level];
    if (adjusted.isNull()) adjusted = apply_display_adjustment(levels_[level], adjustment_);
    return adjusted;
}

int64_t ImageCanvas::instance_at(QPointF image_pos) const {
    return overlay_.instance_at(int(std::floor(image_pos.x())), int(std::floor(image_pos.y())));
}

void ImageCanvas::set_preview(std::vector<Mask> masks) {
    preview_.masks = std::move(masks);
    preview_.level = -1;
    update();
}

void ImageCanvas::set_selection(std::vector<Mask> masks) {
    selection_.masks = std::move(masks);
    selection_.level = -1;
    update();
}

void ImageCanvas::set_hover(std::vector<Mask> masks) {
    hover_.masks = std::move(masks);
    hover_.level = -1;
    update();
}

void ImageCanvas::set_hover_preview(std::vector<Mask> masks) {
    hover_preview_.masks = std::move(masks);
    hover_preview_.level = -1;
    update();
}

void ImageCanvas::set_highlight(std::vector<Mask> masks, QColor color) {
    highlight_.masks = std::move(masks);
    highlight_.fill = QColor(color.red(), color.green(), color.blue(), 150);
    highlight_.outline = color.lighter(160);
    highlight_.level = -1;
    update();
}

void ImageCanvas::set_candidates(const std::vector<Mask>& masks, int current) {
    candidate_masks_ = masks;
    candidates_.clear();
    for (const Mask& m : candidate_masks_) {
        CandidateShape c;
        c.mask = &m;
        double biggest = -1;
        for (const Polygon& poly : mask_to_polygons(m)) {
            QPolygonF q;
            for (size_t i = 0; i + 1 < poly.size(); i += 2) q << QPointF(poly[i] + 0.5, poly[i + 1] + 0.5);
            if (q.isEmpty()) continue;
            q << q.first();
            c.outline.addPolygon(q);
            // The number tag goes on the largest part.
            const QRectF r = q.boundingRect();
            if (r.width() * r.height() > biggest) {
                biggest = r.width() * r.height();
                c.box = r;
            }
        }
        candidates_.push_back(std::move(c));
    }
    current_candidate_ = current;
    candidate_fill_.masks.clear();
    if (current >= 0 && current < int(candidate_masks_.size())) candidate_fill_.masks.push_back(candidate_masks_[size_t(current)]);
    candidate_fill_.fill = QColor(255, 200, 0, 70);
    candidate_fill_.outline = QColor(255, 200, 0, 0);
    candidate_fill_.level = -1;
    update();
}

int ImageCanvas::candidate_at(QPointF pos) const {
    const int x = int(std::floor(pos.x())), y = int(std::floor(pos.y()));
    int best = -1;
    int64_t best_area = 0;
    for (size_t i = 0; i < candidates_.size(); ++i) {
        const Mask& m = *candidates_[i].mask;
        if (x < 0 || y < 0 || x >= m.width() || y >= m.height() || !m.at(x, y)) continue;
        const int64_t a = m.area();
        if (best < 0 || a < best_area) {
            best = int(i);
            best_area = a;
        }
    }
    return best;
}

void ImageCanvas::draw_candidates(QPainter& p) {
    if (candidates_.empty()) return;
    p.save();
    p.setRenderHint(QPainter::Antialiasing, true);
    const QTransform t = QTransform::fromScale(scale_, scale_) * QTransform::fromTranslate(offset_.x(), offset_.y());
    for (size_t i = 0; i < candidates_.size(); ++i) {
        const bool cur = int(i) == current_candidate_;
        const QPainterPath path = t.map(candidates_[i].outline);
        p.setBrush(Qt::NoBrush);
        p.setPen(QPen(QColor(0, 0, 0, 170), cur ? 4.0 : 3.0));
        p.drawPath(path);
        QPen dash(cur ? QColor(255, 210, 0) : QColor(0, 230, 255), cur ? 2.5 : 1.8, Qt::CustomDashLine);
        dash.setDashPattern({4, 3});
        p.setPen(dash);
        p.drawPath(path);
        // Number tag at the top-left of the candidate.
        const QRectF b = t.mapRect(candidates_[i].box);
        const QString tag = QString::number(i + 1);
        QFont f = font();
        f.setBold(true);
        p.setFont(f);
        const QRectF tr(b.topLeft() + QPointF(2, 2), QSizeF(QFontMetrics(f).horizontalAdvance(tag) + 8, QFontMetrics(f).height() + 2));
        p.setPen(Qt::NoPen);
        p.setBrush(cur ? QColor(255, 210, 0, 230) : QColor(0, 0, 0, 170));
        p.drawRoundedRect(tr, 3, 3);
        p.setPen(cur ? Qt::black : QColor(0, 230, 255));
        p.drawText(tr, Qt::AlignCenter, tag);
    }
    p.restore();
}

void ImageCanvas::set_prompts(const SegmentRequest& prompts) {
    prompts_.points = prompts.points;
    prompts_.boxes = prompts.boxes;
    prompts_.scribbles = prompts.scribbles;
    update();
}

CanvasTool::Emit ImageCanvas::emitter() {
    return [this](const Gesture& g) { Q_EMIT gesture(g); };
}

void ImageCanvas::finish_tool() {
    if (tool_) tool_->finish(emitter());
    drag_button_ = Qt::NoButton;
    update();
}

void ImageCanvas::set_tool(std::unique_ptr<CanvasTool> tool, const QString& name) {
    finish_tool();
    tool_ = std::move(tool);
    tool_name_ = name;
    drag_button_ = Qt::NoButton;
    Q_EMIT click_point_left();
    update_cursor();
    update();
}

void ImageCanvas::set_brush_radius(double radius) {
    brush_radius_ = std::clamp(radius, 1.0, 500.0);
    update();
}

void ImageCanvas::fit() {
    fit_mode_ = true;
    if (levels_.empty()) return;
    QSizeF img = levels_[0].size();
    double s = std::min((width() - 20) / img.width(), (height() - 20) / img.height());
    scale_ = std::clamp(s, kMinZoom, kMaxZoom);
    offset_ = QPointF((width() - img.width() * scale_) / 2, (height() - img.height() * scale_) / 2);
    update();
    Q_EMIT zoom_changed(scale_);
}

void ImageCanvas::actual_size() {
    QPointF centre(width() / 2.0, height() / 2.0);
    zoom_by(1.0 / scale_, centre);
}

void ImageCanvas::zoom_by(double factor, QPointF anchor) {
    if (levels_.empty()) return;
    fit_mode_ = false;
    double s = std::clamp(scale_ * factor, kMinZoom, kMaxZoom);
    QPointF img = widget_to_image(anchor);
    scale_ = s;
    offset_ = anchor - img * scale_;
    update();
    Q_EMIT zoom_changed(scale_);
}

int ImageCanvas::current_level() const {
    int level = 0;
    while (level + 1 < int(levels_.size()) && scale_ * (1 << (level + 1)) <= 1.0) ++level;
    return level;
}

bool ImageCanvas::inside_image(QPointF p) const {
    if (levels_.empty()) return false;
    return p.x() >= 0 && p.y() >= 0 && p.x() < levels_[0].width() && p.y() < levels_[0].height();
}

// Draws the part of a level-k image (placed at level_rect, in level pixels) that is on screen.
void ImageCanvas::draw_level_image(QPainter& p, const QImage& img, int level, QRect level_rect,
                                   bool smooth) const {
    if (img.isNull()) return;
    const double f = double(1 << level);
    const double s = scale_ * f;  // widget pixels per level pixel
    QRectF target(offset_ + QPointF(level_rect.x(), level_rect.y()) * s, QSizeF(level_rect.width(), level_rect.height()) * s);
    QRectF visible = target & QRectF(rect());
    if (visible.isEmpty()) return;
    // Source rectangle in the image's own pixels, expanded to whole pixels so nothing swims.
    QRectF src((visible.x() - target.x()) / s, (visible.y() - target.y()) / s, visible.width() / s, visible.height() / s);
    QRectF src_px(std::floor(src.x()), std::floor(src.y()), 0, 0);
    src_px.setRight(std::min<double>(std::ceil(src.right()), img.width()));
    src_px.setBottom(std::min<double>(std::ceil(src.bottom()), img.height()));
    QRectF dst(target.topLeft() + src_px.topLeft() * s, src_px.size() * s);
    p.setRenderHint(QPainter::SmoothPixmapTransform, smooth);
    p.drawImage(dst, img, src_px);
}

void ImageCanvas::draw_mask_layer(QPainter& p, MaskLayer& layer, int level) {
    if (layer.masks.empty()) return;
    if (layer.level != level) {
        std::vector<const Mask*> ptrs;
        for (const Mask& m : layer.masks) ptrs.push_back(&m);
        layer.image = render_mask_layer(ptrs, level, layer.fill, layer.outline, &layer.rect);
        layer.level = level;
    }
    draw_level_image(p, layer.image, level, layer.rect, false);
}

void ImageCanvas::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), kBackground);
    if (levels_.empty()) {
        p.setPen(QColor(0xb0, 0xb4, 0xba));
        QFont f = font();
        f.setPointSizeF(f.pointSizeF() * 1.3);
        p.setFont(f);
        p.drawText(rect().adjusted(40, 40, -40, -40), Qt::AlignCenter | Qt::TextWordWrap, message_);
        return;
    }
    const int level = current_level();
    const QImage& img = shown_level(level);
    // Smooth when reducing, pixel-exact when magnified past 2x so annotators see real pixels.
    bool smooth = scale_ * (1 << level) < 2.0;
    draw_level_image(p, img, level, QRect(QPoint(0, 0), img.size()), smooth);
    if (overlay_.width() > 0) {
        const QImage& ov = overlay_.layer(level);
        draw_level_image(p, ov, level, QRect(QPoint(0, 0), ov.size()), false);
    }
    draw_mask_layer(p, hover_, level);
    draw_mask_layer(p, hover_preview_, level);
    draw_mask_layer(p, selection_, level);
    draw_mask_layer(p, preview_, level);
    draw_mask_layer(p, candidate_fill_, level);
    draw_mask_layer(p, highlight_, level);
    draw_candidates(p);
    p.setRenderHint(QPainter::Antialiasing, true);
    draw_prompts(p);
}

void ImageCanvas::draw_prompts(QPainter& p) const {
    auto to_w = [this](float x, float y) { return image_to_widget(QPointF(x, y)); };
    for (const BoxPrompt& b : prompts_.boxes) {
        QRectF r(to_w(b.x0, b.y0), to_w(b.x1, b.y1));
        p.setPen(QPen(QColor(0, 0, 0, 160), 3));
        p.setBrush(Qt::NoBrush);
        p.drawRect(r);
        p.setPen(QPen(kBox, 1.5, Qt::DashLine));
        p.drawRect(r);
    }
    for (const ScribblePrompt& s : prompts_.scribbles) {
        QPainterPath path;
        for (size_t i = 0; i < s.points.size(); ++i) {
            QPointF w = to_w(s.points[i].x, s.points[i].y);
            if (i == 0) path.moveTo(w); else path.lineTo(w);
        }
        p.setPen(QPen(s.positive ? kPositive : kNegative, 3, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.setBrush(Qt::NoBrush);
        p.drawPath(path);
    }
    for (const PointPrompt& pt : prompts_.points) {
        QPointF w = to_w(pt.x, pt.y);
        p.setPen(QPen(Qt::white, 2));
        p.setBrush(pt.positive ? kPositive : kNegative);
        p.drawEllipse(w, 6, 6);
        p.setPen(QPen(Qt::white, 2));
        p.drawLine(w - QPointF(3, 0), w + QPointF(3, 0));
        if (pt.positive) p.drawLine(w - QPointF(0, 3), w + QPointF(0, 3));
    }
    if (tool_) tool_->paint(p, *this);
}

void ImageCanvas::resizeEvent(QResizeEvent*) {
    if (fit_mode_) fit();
}

void ImageCanvas::wheelEvent(QWheelEvent* e) {
    double steps = e->angleDelta().y() / 120.0;
    if (steps == 0) return;
    zoom_by(std::pow(1.25, steps), e->position());
    e->accept();
}

ToolEvent ImageCanvas::tool_event(const QMouseEvent* e) const {
    return ToolEvent{widget_to_image(e->position()), e->position(), e->button(), e->modifiers()};
}

void ImageCanvas::mousePressEvent(QMouseEvent* e) {
    mouse_widget_ = e->position();
    if (levels_.empty()) return;
    if (e->button() == Qt::MiddleButton || (space_down_ && e->button() == Qt::LeftButton)) {
        panning_ = true;
        pan_last_ = e->position();
        setCursor(Qt::ClosedHandCursor);
        return;
    }
    if (e->button() != Qt::LeftButton && e->button() != Qt::RightButton) return;
    if (drag_button_ != Qt::NoButton || !tool_) return;  // one gesture at a time
    const ToolEvent te = tool_event(e);
    if (e->button() == Qt::LeftButton && (e->modifiers() & Qt::ControlModifier)) {  // selects in every tool
        if (inside_image(te.image)) Q_EMIT gesture(Gesture{Gesture::Kind::Select, true, {te.image}});
        return;
    }
    drag_button_ = e->button();
    tool_->press(te, *this);
    update();
}

void ImageCanvas::mouseMoveEvent(QMouseEvent* e) {
    const QPointF prev = mouse_widget_;
    mouse_widget_ = e->position();
    if (panning_) {
        offset_ += e->position() - pan_last_;
        pan_last_ = e->position();
        fit_mode_ = false;
        update();
        return;
    }
    const ToolEvent te = tool_event(e);
    Q_EMIT cursor_moved(te.image);
    if (drag_button_ != Qt::NoButton && tool_) {
        tool_->move(te, *this);
        update();
        return;
    }
    update_hover(e->position());
    update_click_point(te.image);
    if (tool_ && tool_->repaints_on_move()) update();
    if (tool_ && tool_->draws_at_pointer()) {
        const double r = brush_radius_ * scale_ + 4;
        update(QRectF(prev, QSizeF()).adjusted(-r, -r, r, r).toAlignedRect());
        update(QRectF(mouse_widget_, QSizeF()).adjusted(-r, -r, r, r).toAlignedRect());
    }
}

void ImageCanvas::mouseReleaseEvent(QMouseEvent* e) {
    if (panning_ && (e->button() == Qt::MiddleButton || e->button() == Qt::LeftButton)) {
        panning_ = false;
        update_cursor();
        return;
    }
    if (e->button() != drag_button_ || !tool_) return;
    drag_button_ = Qt::NoButton;
    tool_->release(tool_event(e), *this, emitter());
    update();
}

void ImageCanvas::mouseDoubleClickEvent(QMouseEvent* e) {
    mouse_widget_ = e->position();
    const bool plain_left = e->button() == Qt::LeftButton && !(e->modifiers() & Qt::ControlModifier) && !space_down_;
    if (plain_left && tool_ && !levels_.empty() && drag_button_ == Qt::NoButton &&
        tool_->double_click(tool_event(e), *this, emitter())) {
        update();
        return;
    }
    mousePressEvent(e);
}

// A key the tool claims is the tool's, not the window shortcut's (Qt asks the focus widget first).
bool ImageCanvas::event(QEvent* e) {
    if (e->type() == QEvent::ShortcutOverride && tool_) {
        auto* k = static_cast<QKeyEvent*>(e);
        if (k->modifiers() == Qt::NoModifier || k->modifiers() == Qt::KeypadModifier) {
            if (tool_->claims_key(k->key())) {
                e->accept();
                return true;
            }
        }
    }
    return QWidget::event(e);
}

void ImageCanvas::keyPressEvent(QKeyEvent* e) {
    if (e->key() == Qt::Key_Space && !e->isAutoRepeat()) {
        space_down_ = true;
        update_cursor();
        return;
    }
    if (tool_ && tool_->claims_key(e->key())) {
        tool_->key_press(e->key(), *this, emitter());
        update();
        return;
    }
    QWidget::keyPressEvent(e);
}

void ImageCanvas::keyReleaseEvent(QKeyEvent* e) {
    if (e->key() == Qt::Key_Space && !e->isAutoRepeat()) {
        space_down_ = false;
        update_cursor();
        return;
    }
    QWidget::keyReleaseEvent(e);
}

void ImageCanvas::leaveEvent(QEvent*) {
    mouse_widget_ = QPointF(-1, -1);
    Q_EMIT click_point_left();
    if (hovered_) {
        hovered_ = 0;
        Q_EMIT hovered_instance_changed(0);
    }
    update();
}

void ImageCanvas::update_hover(QPointF widget_pos) {
    int64_t id = instance_at(widget_to_image(widget_pos));
    if (id != hovered_) {
        hovered_ = id;
        Q_EMIT hovered_instance_changed(id);
    }
}

void ImageCanvas::update_click_point(QPointF image_pos) {
    if (tool_ && tool_->click_places_point() && inside_image(image_pos)) Q_EMIT click_point_moved(image_pos);
    else Q_EMIT click_point_left();
}

void ImageCanvas::update_cursor() {
    if (space_down_) setCursor(Qt::OpenHandCursor);
    else setCursor(tool_ ? tool_->cursor() : Qt::ArrowCursor);
}

}  // namespace xs
