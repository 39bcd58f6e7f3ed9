#pragma once
// "Find all like this": the candidate instances of a visual-grounded answer, waiting for the user's
// verdict. Each row shows its number (as drawn on the canvas), score and label; the current row is
// highlighted on the canvas. Accept / reject the current one (Y / N, or the buttons), or all at once.
#include <QWidget>
#include <vector>

#include "core/engine/engine.h"

class QLabel;
class QListWidget;
class QPushButton;

namespace xs {

class CandidatesPanel : public QWidget {
    Q_OBJECT
public:
    explicit CandidatesPanel(QWidget* parent = nullptr);
    void set_candidates(const std::vector<InstanceResult>& candidates, const QString& origin);
    void clear();
    int count() const;
    int current() const;  // -1 if none
    void set_current(int index);
    QListWidget* list() { return list_; }

Q_SIGNALS:
    void current_changed(int index);
    void accept_requested(int index);
    void reject_requested(int index);
    void accept_all_requested();
    void reject_all_requested();

private:
    QLabel* header_;
    QListWidget* list_;
    QPushButton *accept_, *reject_, *accept_all_, *reject_all_;
};

}  // namespace xs
