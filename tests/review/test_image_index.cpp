// The image index and its filters (core/review/image_index.h) as tables. Every row runs on the same
// listed images (list order as written):
//
//   image           status        tags          instances (category ids)
//   a/cat1.jpg      to do         -             1 (1)
//   a/cat2.PNG      done          night         3 (1, 2, 2)
//   b/dog.jpg       in progress   night,rain    0 (a record without instances)
//   b/Ärger.png     needs review  -             2 (2, 2)
//   c/unopened.jpg  done          rain          - (no record: never decoded)
//   c/plain.jpg     to do         -             - (no record, default review)
// and "b/dog.jpg" has pending candidates.
#include <QtTest>

#include "core/annotation/editing.h"
#include "core/review/image_index.h"

using namespace xs;

namespace {

const std::vector<ImageKey> kKeys = {"a/cat1.jpg", "a/cat2.PNG", "b/dog.jpg", "b/\xc3\x84rger.png",
                                     "c/unopened.jpg", "c/plain.jpg"};

Project sample_project() {
    Project p;
    p.add_category("cat");
    p.add_category("dog");
    const auto add = [&](const ImageKey& key, std::vector<int> categories) {
        ImageRecord& rec = p.add_image(key, 2, 2);
        for (int c : categories) p.add_instance(rec, c, rle_encode(Mask(2, 2)));
    };
    add("a/cat1.jpg", {1});
    add("a/cat2.PNG", {1, 2, 2});
    add("b/dog.jpg", {});
    add("b/\xc3\x84rger.png", {2, 2});
    p.set_review("a/cat2.PNG", {ReviewStatus::done, {"night"}});
    p.set_review("b/dog.jpg", {ReviewStatus::in_progress, {"night", "rain"}});
    p.set_review("b/\xc3\x84rger.png", {ReviewStatus::needs_review, {}});
    p.set_review("c/unopened.jpg", {ReviewStatus::done, {"rain"}});
    return p;
}

const std::set<ImageKey> kPending = {"b/dog.jpg"};

// The listed images' names (without folder and extension) of `rows`, space-separated.
QString names(const ImageIndex& index, const std::vector<int>& rows) {
    QStringList out;
    for (int r : rows) {
        QString key = QString::fromStdString(index.at(r).key);
        out << key.mid(key.indexOf('/') + 1).section('.', 0, 0);
    }
    return out.join(' ');
}

}  // namespace

class TestImageIndex : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void filters_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("status");  // -1: any
        QTest::addColumn<QString>("tag");
        QTest::addColumn<int>("category");
        QTest::addColumn<int>("min");
        QTest::addColumn<int>("max");
        QTest::addColumn<bool>("pending");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no filter") << "" << -1 << "" << 0 << 0 << -1 << false << "cat1 cat2 dog Ärger unopened plain";
        QTest::newRow("substring") << "cat" << -1 << "" << 0 << 0 << -1 << false << "cat1 cat2";
        QTest::newRow("substring ignores case") << "CAT2.png" << -1 << "" << 0 << 0 << -1 << false << "cat2";
        QTest::newRow("substring in folder") << "b/" << -1 << "" << 0 << 0 << -1 << false << "dog Ärger";
        QTest::newRow("non-ASCII case folding") << "äR" << -1 << "" << 0 << 0 << -1 << false << "Ärger";
        QTest::newRow("glob whole path") << "*.png" << -1 << "" << 0 << 0 << -1 << false << "cat2 Ärger";
        QTest::newRow("glob is anchored") << "cat*" << -1 << "" << 0 << 0 << -1 << false << "";
        QTest::newRow("glob with ?") << "a/cat?.*" << -1 << "" << 0 << 0 << -1 << false << "cat1 cat2";
        QTest::newRow("glob ? is one character") << "b/?rger.png" << -1 << "" << 0 << 0 << -1 << false << "Ärger";
        QTest::newRow("no match") << "zebra" << -1 << "" << 0 << 0 << -1 << false << "";
        QTest::newRow("to do, records or not") << "" << int(ReviewStatus::todo) << "" << 0 << 0 << -1 << false << "cat1 plain";
        QTest::newRow("done") << "" << int(ReviewStatus::done) << "" << 0 << 0 << -1 << false << "cat2 unopened";
        QTest::newRow("needs review") << "" << int(ReviewStatus::needs_review) << "" << 0 << 0 << -1 << false << "Ärger";
        QTest::newRow("tag") << "" << -1 << "night" << 0 << 0 << -1 << false << "cat2 dog";
        QTest::newRow("tag is exact") << "" << -1 << "Night" << 0 << 0 << -1 << false << "";
        QTest::newRow("category present") << "" << -1 << "" << 2 << 0 << -1 << false << "cat2 Ärger";
        QTest::newRow("category 1") << "" << -1 << "" << 1 << 0 << -1 << false << "cat1 cat2";
        QTest::newRow("no instances") << "" << -1 << "" << 0 << 0 << 0 << false << "dog unopened plain";
        QTest::newRow("2 or more") << "" << -1 << "" << 0 << 2 << -1 << false << "cat2 Ärger";
        QTest::newRow("1 to 2") << "" << -1 << "" << 0 << 1 << 2 << false << "cat1 Ärger";
        QTest::newRow("pending") << "" << -1 << "" << 0 << 0 << -1 << true << "dog";
        QTest::newRow("all together") << "b/*" << int(ReviewStatus::in_progress) << "rain" << 0 << 0 << 0 << true << "dog";
        QTest::newRow("together, one fails") << "b/*" << int(ReviewStatus::in_progress) << "rain" << 0 << 1 << -1 << true << "";
        QTest::newRow("tag and status") << "" << int(ReviewStatus::done) << "rain" << 0 << 0 << -1 << false << "unopened";
    }

    void filters() {
        QFETCH(QString, name);
        QFETCH(int, status);
        QFETCH(QString, tag);
        QFETCH(int, category);
        QFETCH(int, min);
        QFETCH(int, max);
        QFETCH(bool, pending);
        QFETCH(QString, expected);
        ImageIndex index;
        index.reset(kKeys, sample_project());
        ImageFilter f;
        f.name = name.toStdString();
        if (status >= 0) f.status = ReviewStatus(status);
        f.tag = tag.toStdString();
        f.category_id = category;
        f.min_instances = min;
        f.max_instances = max;
        f.pending_only = pending;
        QCOMPARE(names(index, index.filter(f, kPending)), expected);
    }

    void updates_follow_edits() {
        // An edit changes the summary only after update(key): the index is not read from masks again.
        Project p = sample_project();
        ImageIndex index;
        index.reset(kKeys, p);
        ImageFilter done;
        done.status = ReviewStatus::done;
        const std::optional<ProjectEdit> e = set_review_status(p, {"c/plain.jpg", "a/cat1.jpg"}, ReviewStatus::done);
        QVERIFY(e);
        for (const auto& [key, review] : e->reviews) p.set_review(key, review);
        QCOMPARE(names(index, index.filter(done, {})), QString("cat2 unopened"));
        for (const auto& kv : e->reviews) index.update(kv.first, p);
        QCOMPARE(names(index, index.filter(done, {})), QString("cat1 cat2 unopened plain"));

        ImageRecord* rec = p.find_image("a/cat1.jpg");
        p.add_instance(*rec, 2, rle_encode(Mask(2, 2)));
        index.update("a/cat1.jpg", p);
        QCOMPARE(index.at(0).instance_count, 2);
        QCOMPARE(index.at(0).categories, (std::vector<int>{1, 2}));
        index.update("not/listed.jpg", p);  // ignored
        QCOMPARE(index.row_of("not/listed.jpg"), -1);
        QCOMPARE(index.tags(), (std::vector<std::string>{"night", "rain"}));
    }

    void next_unfinished_data() {
        QTest::addColumn<QString>("done");     // images whose status is done, besides cat2 and unopened
        QTest::addColumn<QString>("filter");   // a name filter on the rows walked
        QTest::addColumn<int>("from");
        QTest::addColumn<QString>("expected");  // name, or "-" for none
        QTest::newRow("the next") << "" << "" << 0 << "dog";  // cat2 (row 1) is done
        QTest::newRow("skips done ones") << "" << "" << 3 << "plain";
        QTest::newRow("wraps") << "cat1" << "" << 5 << "dog";
        QTest::newRow("wraps to the first") << "" << "" << 5 << "cat1";
        QTest::newRow("itself last") << "cat1,dog,Ärger" << "" << 5 << "plain";
        QTest::newRow("none left") << "cat1,dog,Ärger,plain" << "" << 2 << "-";
        QTest::newRow("from no row") << "" << "" << -1 << "cat1";
        QTest::newRow("within the filtered rows") << "" << "b/" << 0 << "dog";
        QTest::newRow("filtered, wraps") << "" << "a/" << 0 << "cat1";
        QTest::newRow("filtered, none") << "cat1" << "a/" << 0 << "-";
    }

    void next_unfinished() {
        QFETCH(QString, done);
        QFETCH(QString, filter);
        QFETCH(int, from);
        QFETCH(QString, expected);
        Project p = sample_project();
        for (const QString& n : done.split(',', Qt::SkipEmptyParts))
            for (const ImageKey& k : kKeys)
                if (QString::fromStdString(k).contains("/" + n + ".")) p.set_review(k, {ReviewStatus::done, {}});
        ImageIndex index;
        index.reset(kKeys, p);
        ImageFilter f;
        f.name = filter.toStdString();
        const int row = xs::next_unfinished(index, index.filter(f, {}), from);
        QCOMPARE(row < 0 ? QString("-") : names(index, {row}), expected);
    }
};

QTEST_MAIN(TestImageIndex)
#include "test_image_index.moc"
