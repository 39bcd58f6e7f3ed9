#include "ui/candidates.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSignalBlocker>
#include <QVBoxLayout>

namespace xs {

CandidatesPanel::CandidatesPanel(QWidget* parent) : QWidget(parent) {
    setObjectName("candidatesPanel");
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(6, 6, 6, 6);
    header_ = new QLabel(this);
    header_->setWordWrap(true);
    lay->addWidget(header_);
    list_ = new QListWidget(this);
    list_->setObjectName("candidatesList");
    list_->setAlternatingRowColors(true);
    lay->addWidget(list_, 1);
    auto* row1 = new QHBoxLayout;
    accept_ = new QPushButton(tr("Accept (Y)"), this);
    accept_->setObjectName("acceptCandidate");
    reject_ = new QPushButton(tr("Reject (N)"), this);
    reject_->setObjectName("rejectCandidate");
    row1->addWidget(accept_);
    row1->addWidget(reject_);
    lay->addLayout(row1);
    auto* row2 = new QHBoxLayout;
    accept_all_ = new QPushButton(tr("Accept all (Shift+Y)"), this);
    accept_all_->setObjectName("acceptAllCandidates");
    reject_all_ = new QPushButton(tr("Reject all (Shift+N)"), this);
    reject_all_->setObjectName("rejectAllCandidates");
    row2->addWidget(accept_all_);
    row2->addWidget(reject_all_);
    lay->addLayout(row2);
    connect(list_, &QListWidget::currentRowChanged, this, [this](int row) { Q_EMIT current_changed(row); });
    connect(list_, &QListWidget::itemDoubleClicked, this,
            [this](QListWidgetItem* item) { Q_EMIT accept_requested(list_->row(item)); });
    connect(accept_, &QPushButton::clicked, this, [this] { Q_EMIT accept_requested(current()); });
    connect(reject_, &QPushButton::clicked, this, [this] { Q_EMIT reject_requested(current()); });
    connect(accept_all_, &QPushButton::clicked, this, &CandidatesPanel::accept_all_requested);
    connect(reject_all_, &QPushButton::clicked, this, &CandidatesPanel::reject_all_requested);
    clear();
}

void CandidatesPanel::set_candidates(const std::vector<InstanceResult>& candidates, const QString& origin) {
    QSignalBlocker block(list_);
    list_->clear();
    for (size_t i = 0; i < candidates.size(); ++i) {
        const InstanceResult& c = candidates[i];
        QString text = QStringLiteral("%1.  score %2   %3 px").arg(i + 1).arg(c.score, 0, 'f', 3).arg(c.mask.area());
        if (!c.label.empty()) text += QStringLiteral("   · %1").arg(QString::fromStdString(c.label));
        auto* item = new QListWidgetItem(text, list_);
        item->setToolTip(tr("Double-click or Y accepts it as an instance; N rejects it."));
    }
    header_->setText(candidates.empty() ? tr("No candidates: nothing like the example was found. Lower the score threshold in the inspector, or try another example.")
                                        : tr("<b>%1 candidates</b> like %2. Click one on the image or in the list, then Y accepts, N rejects.")
                                              .arg(candidates.size())
                                              .arg(origin.toHtmlEscaped()));
    if (!candidates.empty()) list_->setCurrentRow(0);
    const bool any = !candidates.empty();
    for (QPushButton* b : {accept_, reject_, accept_all_, reject_all_}) b->setEnabled(any);
}

void CandidatesPanel::clear() {
    QSignalBlocker block(list_);
    list_->clear();
    header_->setText(tr("Select an instance (or mark an example with points, a box or a scribble), then "
                        "<b>Find all like this</b> (G) lists every object like it here."));
    for (QPushButton* b : {accept_, reject_, accept_all_, reject_all_}) b->setEnabled(false);
}

int CandidatesPanel::count() const { return list_->count(); }
int CandidatesPanel::current() const { return list_->currentRow(); }

void CandidatesPanel::set_current(int index) {
    if (index >= 0 && index < list_->count()) list_->setCurrentRow(index);
}

}  // namespace xs
