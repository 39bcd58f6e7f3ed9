#pragma once
// The grounded caption: the generated text with each phrase (<p>...</p> in the model's answer) shown
// as a coloured link to its mask. Hovering a phrase highlights its mask on the canvas (phrase_hovered),
// clicking selects it (phrase_clicked); the canvas does the reverse through highlight_phrase().
#include <QColor>
#include <QStringList>
#include <QWidget>
#include <vector>

class QLabel;

namespace xs {

class CaptionView : public QWidget {
    Q_OBJECT
public:
    explicit CaptionView(QWidget* parent = nullptr);
    // `caption`: the model's text with <p>phrase</p> marks; phrase i (in order) links to mask i when
    // has_mask[i] (a phrase without a mask is shown but not linked).
    void set_caption(const QString& caption, const std::vector<bool>& has_mask);
    void clear();
    void highlight_phrase(int index);  // -1: none
    int highlighted() const { return highlighted_; }
    QStringList phrases() const { return phrases_; }
    QString plain_text() const;
    QLabel* label() { return label_; }

Q_SIGNALS:
    void phrase_hovered(int index);  // -1 when the pointer leaves a phrase
    void phrase_clicked(int index);

private:
    void render();

    QLabel* label_;
    QStringList parts_;    // text between phrases (parts_.size() == phrases_.size() + 1)
    QStringList phrases_;
    std::vector<bool> has_mask_;
    int highlighted_ = -1;
};

// Colour of phrase i, shared by the caption text and the canvas highlight.
QColor phrase_color(int index);

}  // namespace xs
