#include "ui/icons.h"

#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

namespace xs {

namespace {

const QColor kInk(0x3a, 0x3f, 0x45);
const QColor kGreen(0x27, 0xae, 0x60);
const QColor kRed(0xe7, 0x4c, 0x3c);
const QColor kBlue(0x2d, 0x8c, 0xd8);

void draw_select(QPainter& p) {
    QPainterPath arrow;
    arrow.moveTo(9, 5);
    arrow.lineTo(9, 25);
    arrow.lineTo(14, 20);
    arrow.lineTo(18, 28);
    arrow.lineTo(21, 26.5);
    arrow.lineTo(17, 19);
    arrow.lineTo(24, 19);
    arrow.closeSubpath();
    p.setPen(QPen(kInk, 1.8, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    p.setBrush(Qt::white);
    p.drawPath(arrow);
}

void draw_prompt(QPainter& p) {
    p.setPen(QPen(kInk, 1.6, Qt::DashLine));
    p.setBrush(Qt::NoBrush);
    p.drawRect(QRectF(4, 4, 24, 24));
    p.setPen(QPen(Qt::white, 1.8));
    p.setBrush(kGreen);
    p.drawEllipse(QPointF(13, 15), 6, 6);
    p.drawLine(QPointF(10, 15), QPointF(16, 15));
    p.drawLine(QPointF(13, 12), QPointF(13, 18));
    p.setBrush(kRed);
    p.drawEllipse(QPointF(22, 23), 4.5, 4.5);
    p.drawLine(QPointF(19.8, 23), QPointF(24.2, 23));
}

void draw_scribble(QPainter& p) {
    QPainterPath s(QPointF(4, 22));
    s.cubicTo(QPointF(9, 6), QPointF(13, 28), QPointF(18, 14));
    s.cubicTo(QPointF(21, 6), QPointF(25, 20), QPointF(28, 10));
    p.setPen(QPen(kGreen, 3.2, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    p.drawPath(s);
    QPainterPath n(QPointF(6, 28));
    n.quadTo(QPointF(14, 24), QPointF(22, 28));
    p.setPen(QPen(kRed, 2.6, Qt::SolidLine, Qt::RoundCap));
    p.drawPath(n);
}

void draw_brush(QPainter& p) {
    p.setPen(Qt::NoPen);
    p.setBrush(kBlue);
    p.drawEllipse(QPointF(11, 21), 7, 7);
    p.setPen(QPen(kInk, 3.2, Qt::SolidLine, Qt::RoundCap));
    p.drawLine(QPointF(16, 16), QPointF(27, 5));
}

void draw_eraser(QPainter& p) {
    p.translate(16, 16);
    p.rotate(-40);
    p.setPen(QPen(kInk, 1.8, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    p.setBrush(QColor(0xf5, 0xa3, 0xb5));
    p.drawRoundedRect(QRectF(-12, -6, 12, 12), 2, 2);
    p.setBrush(Qt::white);
    p.drawRoundedRect(QRectF(0, -6, 12, 12), 2, 2);
}

void draw_accept(QPainter& p) {
    QPainterPath c(QPointF(6, 17));
    c.lineTo(13, 24);
    c.lineTo(26, 8);
    p.setPen(QPen(kGreen, 4, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    p.drawPath(c);
}

void draw_undo(QPainter& p, bool redo) {
    if (redo) {  // the mirror image
        p.translate(32, 0);
        p.scale(-1, 1);
    }
    QPainterPath a(QPointF(9, 13));
    a.cubicTo(QPointF(14, 6), QPointF(27, 7), QPointF(26, 18));
    a.cubicTo(QPointF(25, 25), QPointF(18, 27), QPointF(13, 26));
    p.setPen(QPen(kInk, 2.4, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    p.setBrush(Qt::NoBrush);
    p.drawPath(a);
    QPainterPath head;
    head.moveTo(5, 8);
    head.lineTo(13, 17);
    head.lineTo(4, 17);
    head.closeSubpath();
    p.setPen(Qt::NoPen);
    p.setBrush(kInk);
    p.drawPath(head);
}

void draw_fit(QPainter& p) {
    p.setPen(QPen(kInk, 2.4, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    for (int sx : {-1, 1})
        for (int sy : {-1, 1}) {
            QPointF c(16 + sx * 11, 16 + sy * 11);
            p.drawLine(c, c - QPointF(sx * 7, 0));
            p.drawLine(c, c - QPointF(0, sy * 7));
        }
    p.setPen(Qt::NoPen);
    p.setBrush(kBlue);
    p.drawRect(QRectF(11, 11, 10, 10));
}

void draw_actual_size(QPainter& p) {
    QFont f;
    f.setPixelSize(14);
    f.setBold(true);
    p.setFont(f);
    p.setPen(kInk);
    p.drawText(QRectF(0, 0, 32, 32), Qt::AlignCenter, QStringLiteral("1:1"));
}

void draw_outlines(QPainter& p) {
    p.setPen(QPen(kBlue, 2.4));
    p.setBrush(QColor(0x2d, 0x8c, 0xd8, 60));
    p.drawEllipse(QPointF(16, 16), 11, 9);
}

// A polygon's outline with square vertices; `editing` marks one vertex as picked (vertex editing).
void draw_polygon(QPainter& p, bool editing) {
    const QPointF v[] = {{6, 9}, {19, 4}, {28, 15}, {21, 27}, {8, 24}};
    QPolygonF outline;
    for (const QPointF& q : v) outline << q;
    p.setPen(QPen(kBlue, 2.2, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    p.setBrush(QColor(0x2d, 0x8c, 0xd8, editing ? 40 : 70));
    p.drawPolygon(outline);
    p.setPen(QPen(kInk, 1.2));
    for (int i = 0; i < 5; ++i) {
        const bool picked = editing && i == 2;
        p.setBrush(picked ? QColor(0xff, 0xc4, 0x00) : QColor(Qt::white));
        const double h = picked ? 3.8 : 2.6;
        p.drawRect(QRectF(v[i] - QPointF(h, h), v[i] + QPointF(h, h)));
    }
}

// Draws on a 32 x 32 design grid, scaled to the pixmap size.
void draw(QPainter& p, IconKind kind) {
    p.setRenderHint(QPainter::Antialiasing);
    switch (kind) {
        case IconKind::None: break;
        case IconKind::Select: draw_select(p); break;
        case IconKind::Prompt: draw_prompt(p); break;
        case IconKind::Scribble: draw_scribble(p); break;
        case IconKind::Brush: draw_brush(p); break;
        case IconKind::Eraser: draw_eraser(p); break;
        case IconKind::Accept: draw_accept(p); break;
        case IconKind::Undo: draw_undo(p, false); break;
        case IconKind::Redo: draw_undo(p, true); break;
        case IconKind::Fit: draw_fit(p); break;
        case IconKind::ActualSize: draw_actual_size(p); break;
        case IconKind::Outlines: draw_outlines(p); break;
        case IconKind::Polygon: draw_polygon(p, false); break;
        case IconKind::Vertices: draw_polygon(p, true); break;
    }
}

}  // namespace

QIcon make_icon(IconKind kind) {
    QIcon icon;
    if (kind == IconKind::None) return icon;
    for (int size : {16, 24, 32, 48, 64}) {
        QPixmap pm(size, size);
        pm.fill(Qt::transparent);
        QPainter p(&pm);
        p.scale(size / 32.0, size / 32.0);
        draw(p, kind);
        p.end();
        icon.addPixmap(pm);
    }
    return icon;
}

}  // namespace xs
