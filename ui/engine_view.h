#pragma once
// Shows the engine: the Engine panel (which one, what it can do, the last answer's timings), the
// status bar's engine text, and the load's progress with Cancel.
#include <QObject>

#include "ui/engine_worker.h"

namespace xs {

class EngineController;
class EnginePanel;
class StatusView;

class EngineView : public QObject {
    Q_OBJECT
public:
    EngineView(EngineController* engines, EnginePanel* panel, StatusView* status, QObject* parent);
    void show_answer(const SegmentAnswer& answer, double round_trip_ms);

private:
    void show_state();

    EngineController* engines_;
    EnginePanel* panel_;
    StatusView* status_;
};

}  // namespace xs
