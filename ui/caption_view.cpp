#include "ui/caption_view.h"

#include <QLabel>
#include <QVBoxLayout>

namespace xs {

QColor phrase_color(int index) {
    static const QColor colors[] = {QColor(0xe6, 0x7e, 0x22), QColor(0x27, 0xae, 0x60), QColor(0x29, 0x80, 0xb9),
                                    QColor(0x8e, 0x44, 0xad), QColor(0xc0, 0x39, 0x2b), QColor(0x16, 0xa0, 0x85)};
    return colors[size_t(index) % (sizeof(colors) / sizeof(colors[0]))];
}

CaptionView::CaptionView(QWidget* parent) : QWidget(parent) {
    setObjectName("captionView");
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(8, 8, 8, 8);
    label_ = new QLabel(this);
    label_->setObjectName("captionText");
    label_->setWordWrap(true);
    label_->setTextFormat(Qt::RichText);
    label_->setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::TextSelectableByMouse);
    label_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    lay->addWidget(label_, 1);
    connect(label_, &QLabel::linkHovered, this, [this](const QString& link) {
        const int i = link.startsWith("phrase:") ? link.mid(7).toInt() : -1;
        highlight_phrase(i);
        Q_EMIT phrase_hovered(i);
    });
    connect(label_, &QLabel::linkActivated, this, [this](const QString& link) {
        if (link.startsWith("phrase:")) Q_EMIT phrase_clicked(link.mid(7).toInt());
    });
    clear();
}

void CaptionView::clear() {
    parts_.clear();
    phrases_.clear();
    has_mask_.clear();
    highlighted_ = -1;
    label_->setText(tr("<span style='color:gray'>Choose the <b>Grounded caption</b> task and press Run: the "
                       "caption appears here, each phrase linked to its mask.</span>"));
}

void CaptionView::set_caption(const QString& caption, const std::vector<bool>& has_mask) {
    parts_.clear();
    phrases_.clear();
    int pos = 0;
    for (;;) {
        const int a = caption.indexOf("<p>", pos);
        const int b = a < 0 ? -1 : caption.indexOf("</p>", a + 3);
        if (a < 0 || b < 0) break;
        parts_ << caption.mid(pos, a - pos);
        phrases_ << caption.mid(a + 3, b - a - 3).trimmed();
        pos = b + 4;
    }
    parts_ << caption.mid(pos);
    for (int i = 0; i < parts_.size(); ++i) {
        QString& p = parts_[i];
        p.remove("<SEG>");
        // The model writes no space after a phrase ("</p>beside"); put one back before a word.
        if (i > 0 && !p.isEmpty() && p.front().isLetterOrNumber()) p.prepend(' ');
    }
    has_mask_ = has_mask;
    highlighted_ = -1;
    render();
}

QString CaptionView::plain_text() const {
    QString out;
    for (int i = 0; i < phrases_.size(); ++i) out += parts_[i] + phrases_[i];
    if (!parts_.isEmpty()) out += parts_.back();
    return out.simplified();
}

void CaptionView::highlight_phrase(int index) {
    if (index == highlighted_) return;
    highlighted_ = index;
    render();
}

void CaptionView::render() {
    QString html = QStringLiteral("<div style='font-size:12pt; line-height:150%'>");
    for (int i = 0; i < phrases_.size(); ++i) {
        html += parts_[i].toHtmlEscaped();
        const QColor c = phrase_color(i);
        const bool linked = i < int(has_mask_.size()) && has_mask_[size_t(i)];
        const bool on = i == highlighted_;
        const QString style = on ? QStringLiteral("color:black; background-color:%1; font-weight:bold; text-decoration:none")
                                       .arg(c.lighter(150).name())
                                 : QStringLiteral("color:%1; font-weight:bold; text-decoration:%2")
                                       .arg(c.name(), linked ? "underline" : "none");
        if (linked)
            html += QStringLiteral("<a href='phrase:%1' style='%2'>%3</a>").arg(i).arg(style, phrases_[i].toHtmlEscaped());
        else
            html += QStringLiteral("<span style='%1'>%2</span>").arg(style, phrases_[i].toHtmlEscaped());
    }
    if (!parts_.isEmpty()) html += parts_.back().toHtmlEscaped();
    html += QStringLiteral("</div>");
    if (!phrases_.isEmpty())
        html += tr("<p style='color:gray'>%1 phrase(s); hover one to see its mask, Enter accepts every mask.</p>")
                    .arg(phrases_.size());
    else if (!parts_.isEmpty())
        html += tr("<p style='color:gray'>The caption has no grounded phrase.</p>");
    label_->setText(html);
}

}  // namespace xs
