// Grounding data in the project file and the core API that records it (core/annotation/grounding.h,
// core/io/grounding_json.h, core/engine/provenance.h).
#include <QtTest/QtTest>

#include <string>

#include "core/annotation/project_merge.h"
#include "core/engine/provenance.h"
#include "core/io/project_file.h"
#include "tests/harness/error_message.h"

using namespace xs;
using xs::test::expect_error;

namespace {

Mask square(int w, int h, int x0, int y0, int side) {
    Mask m(w, h);
    for (int y = y0; y < y0 + side; ++y)
        for (int x = x0; x < x0 + side; ++x) m.set(x, y, true);
    return m;
}

// One image with three instances and every kind of grounding data.
Project grounded_project() {
    Project p;
    p.image_root = "images";
    const int dog = p.add_category("dog").id;
    ImageRecord& img = p.add_image("a.jpg", 40, 30);
    Instance& a = p.add_instance(img, dog, rle_encode(square(40, 30, 2, 2, 8)), 0.9f, "xsam:referring");
    a.prompt.task = "referring";
    a.prompt.text = "the small dog on the left";
    a.referring = {"the small dog on the left", "der kleine Hund \xc3\xbc"};
    Instance& b = p.add_instance(img, dog, rle_encode(square(40, 30, 20, 5, 6)), 0.8f, "xsam:vgd");
    VisualPrompt scribble;
    scribble.kind = VisualPrompt::Kind::Scribble;
    scribble.positive = false;
    scribble.radius = 3;
    scribble.points = {{1.5, 2.25}, {10, 12}, {20.5, 3}};
    b.prompt.task = "vgd";
    b.prompt.visual = {point_prompt(4.5, 5.5), point_prompt(1, 1, false), box_prompt(1, 2, 9.5, 10), scribble,
                       mask_prompt(rle_encode(square(40, 30, 0, 0, 3)))};
    const int64_t c_id = p.add_instance(img, dog, rle_encode(square(40, 30, 30, 20, 4))).id;
    const int64_t a_id = img.instances[0].id, b_id = img.instances[1].id;

    GroundedCaption cap;
    cap.text = "Zwei H\xc3\xbc" "nde: a dog and another dog.";
    cap.phrases = {{12, 17, {a_id}}, {22, 33, {b_id, c_id}}};
    cap.source = "xsam:gcg";
    cap.created_ms = 1700000000000;
    img.captions.push_back(cap);

    FindAllEpisode ep;
    ep.example_instance_id = a_id;
    ep.accepted = {b_id, c_id};
    ep.rejected = {{rle_encode(square(40, 30, 10, 10, 5)), 0.25f}};
    ep.source = "xsam";
    ep.created_ms = 1700000000001;
    img.episodes.push_back(ep);
    FindAllEpisode drawn;
    drawn.example = {box_prompt(0, 0, 5, 5)};
    img.episodes.push_back(drawn);
    return p;
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    if (at == std::string::npos) return "<pattern not found: " + from + ">";
    return text.replace(at, from.size(), to);
}

}  // namespace

class TestGrounding : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everythingSurvivesSaveAndReopen() {
        const Project p = grounded_project();
        const std::string text = project_to_json(p);
        QVERIFY(text.find("\"version\": 2") != std::string::npos);
        const Project q = project_from_json(text, "p.json");
        QCOMPARE(project_to_json(q), text);
        const ImageRecord& a = p.images[0];
        const ImageRecord& b = q.images[0];
        for (size_t i = 0; i < a.instances.size(); ++i) {
            QVERIFY(a.instances[i].prompt == b.instances[i].prompt);
            QCOMPARE(a.instances[i].referring, b.instances[i].referring);
        }
        QVERIFY(a.captions == b.captions);
        QVERIFY(a.episodes == b.episodes);
        QCOMPARE(phrase_text(b.captions[0], b.captions[0].phrases[0]), std::string("a dog"));
        QCOMPARE(phrase_text(b.captions[0], b.captions[0].phrases[1]), std::string("another dog"));
        QCOMPARE(b.instances[1].prompt.visual.size(), size_t(5));
        QVERIFY(!b.instances[1].prompt.visual[1].positive);
    }

    void olderFilesOpenUnchangedAndGainFieldsOnSave() {
        // A project without grounding data is written exactly as version 1 wrote it.
        Project p = grounded_project();
        for (ImageRecord& img : p.images) {
            img.captions.clear();
            img.episodes.clear();
            for (Instance& inst : img.instances) {
                inst.prompt = InstancePrompt();
                inst.referring.clear();
            }
        }
        const std::string v1 = project_to_json(p);
        QVERIFY(v1.find("\"version\": 1") != std::string::npos);
        QVERIFY(v1.find("prompt") == std::string::npos && v1.find("captions") == std::string::npos);
        Project q = project_from_json(v1, "old.json");
        QCOMPARE(project_to_json(q), v1);
        QCOMPARE(project_format_version(q), 1);
        // The first sentence added makes it a version-2 file holding the new field.
        q.images[0].instances[0].referring.push_back("the dog");
        const std::string v2 = project_to_json(q);
        QVERIFY(v2.find("\"version\": 2") != std::string::npos);
        QVERIFY(v2.find("\"referring\": [\n      \"the dog\"") != std::string::npos);
        QCOMPARE(project_from_json(v2, "new.json").images[0].instances[0].referring[0], std::string("the dog"));
    }

    void newerVersionsAreRefused() {
        const std::string newer = std::to_string(kProjectFormatVersion + 1);
        const std::string text = replaced(project_to_json(grounded_project()), "\"version\": 2", "\"version\": " + newer);
        const std::string e = expect_error([&] { project_from_json(text, "p.json"); });
        const std::string expected = "p.json: version: written by a newer X-SAM Studio (format version " + newer +
                                     ", this build reads up to " + std::to_string(kProjectFormatVersion) + ")";
        QVERIFY2(e.find(expected) == 0, e.c_str());
    }

    void linksToDeletedInstancesAreNotSaved() {
        Project p = grounded_project();
        ImageRecord& img = p.images[0];
        const int64_t b_id = img.instances[1].id, c_id = img.instances[2].id;
        img.instances.erase(img.instances.begin() + 1);  // delete b
        const Project q = project_from_json(project_to_json(p), "p.json");
        const ImageRecord& r = q.images[0];
        QCOMPARE(r.captions[0].phrases[1].instance_ids, std::vector<int64_t>{c_id});
        QCOMPARE(r.episodes[0].accepted, std::vector<int64_t>{c_id});
        QVERIFY(b_id != c_id);
        // The example itself deleted: the episode stays, without an example instance.
        Project s = q;
        s.images[0].instances.erase(s.images[0].instances.begin());
        QCOMPARE(project_from_json(project_to_json(s), "p.json").images[0].episodes[0].example_instance_id, int64_t(0));
    }

    void badFieldsAreRefusedByName_data() {
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::addColumn<QString>("message");
        QTest::newRow("span beyond the text") << "\"start\": 22,\n       \"end\": 33"
                                              << "\"start\": 22,\n       \"end\": 99"
                                              << "images[0].captions[0].phrases[1]: span [22, 99) is not within the caption's 34 characters";
        QTest::newRow("empty span") << "\"start\": 22" << "\"start\": 33"
                                    << "images[0].captions[0].phrases[1]: span [33, 33)";
        QTest::newRow("link to another image's instance") << "\"example_instance\": 1" << "\"example_instance\": 77"
                                                          << "images[0].episodes[0].example_instance[0]: instance 77 is not an instance of this image";
        QTest::newRow("unknown prompt kind") << "\"kind\": \"box\"" << "\"kind\": \"lasso\""
                                             << "images[0].instances[1].prompt.visual[2].kind: unknown kind \"lasso\"";
        QTest::newRow("empty sentence") << "\"the small dog on the left\",\n      \"der"
                                        << "\"\",\n      \"der" << "images[0].instances[0].referring[0]: empty sentence";
        QTest::newRow("rejected mask of another size") << "\"size\": [\n         30,\n         40\n        ]"
                                                       << "\"size\": [\n         30,\n         41\n        ]"
                                                       << "images[0].episodes[0].rejected[0].mask.size: [30, 41] differs from the image size [30, 40]";
        QTest::newRow("score out of range") << "\"score\": 0.25" << "\"score\": 1.25"
                                            << "images[0].episodes[0].rejected[0].score: must be within [0, 1]";
        QTest::newRow("sentence not a string") << "\"referring\": [" << "\"referring\": [3,"
                                               << "images[0].instances[0].referring[0]: expected a string, got an integer";
    }

    void badFieldsAreRefusedByName() {
        QFETCH(QString, from);
        QFETCH(QString, to);
        QFETCH(QString, message);
        const std::string text = replaced(project_to_json(grounded_project()), from.toStdString(), to.toStdString());
        const std::string e = expect_error([&] { project_from_json(text, "p.json"); });
        QVERIFY2(e.find("p.json: " + message.toStdString()) == 0, e.c_str());
    }

    void boxWithOnePointIsRefused() {
        Project p = grounded_project();
        p.images[0].instances[1].prompt.visual[2].points.pop_back();
        const std::string e = expect_error([&] { project_from_json(project_to_json(p), "p.json"); });
        QVERIFY2(e.find("p.json: images[0].instances[1].prompt.visual[2].points: 1 point(s) do not make a box prompt") == 0,
                 e.c_str());
    }

    void captionMarksBecomeSpans() {
        GroundedCaption c = parse_grounded_caption("<p> A dog </p><SEG>chases <p>a  ball</p><SEG>.");
        QCOMPARE(c.text, std::string("A dog chases a ball."));
        QCOMPARE(int(c.phrases.size()), 2);
        QCOMPARE(phrase_text(c, c.phrases[0]), std::string("A dog"));
        QCOMPARE(phrase_text(c, c.phrases[1]), std::string("a ball"));
        QCOMPARE(c.phrases[1].start, int64_t(13));
        // Spans count code points: "ü" is one character, as Python counts it.
        c = parse_grounded_caption("Ein <p>H\xc3\xbcndchen</p>l\xc3\xa4uft.");
        QCOMPARE(c.text, std::string("Ein H\xc3\xbcndchen l\xc3\xa4uft."));
        QCOMPARE(c.phrases[0].start, int64_t(4));
        QCOMPARE(c.phrases[0].end, int64_t(12));
        QCOMPARE(utf8_length(c.text), int64_t(19));
        // No phrase at all: the text alone.
        c = parse_grounded_caption("  just   text ");
        QCOMPARE(c.text, std::string("just text"));
        QVERIFY(c.phrases.empty());
    }

    void captionRecordLinksPhrasesToInstances() {
        SegmentResult r;
        r.text = "<p>A dog</p><SEG> and <p>a cat</p><SEG>.";
        r.instances.resize(3);
        r.instances[0].prompt_index = 1;
        r.instances[1].prompt_index = 0;
        r.instances[2].prompt_index = 1;
        const GroundedCaption c = caption_record(r, {11, 12, 0}, "xsam:gcg");  // the third was not accepted
        QCOMPARE(c.phrases[0].instance_ids, std::vector<int64_t>{12});
        QCOMPARE(c.phrases[1].instance_ids, std::vector<int64_t>{11});
        QCOMPARE(c.source, std::string("xsam:gcg"));
        QVERIFY(c.created_ms > 0);
    }

    void requestsBecomePrompts() {
        SegmentRequest req;
        req.task = Task::Referring;
        req.text = "the red car";
        Instance inst;
        record_prompt(inst, req);
        record_prompt(inst, req);  // once is enough
        QCOMPARE(inst.prompt.task, std::string("referring"));
        QCOMPARE(inst.referring, std::vector<std::string>{"the red car"});

        SegmentRequest vgd;
        vgd.task = Task::VisualGrounded;
        vgd.points = {{3.5f, 4.5f, true}, {1.f, 2.f, false}};
        vgd.boxes = {{1.f, 2.f, 8.f, 9.f}};
        ScribblePrompt s;
        s.points = {{0.f, 0.f}, {5.f, 5.f}};
        s.radius = 2.f;
        vgd.scribbles = {s};
        vgd.mask_prompts = {square(10, 10, 1, 1, 2)};
        const InstancePrompt p = prompt_record(vgd);
        QCOMPARE(p.task, std::string("vgd"));
        QCOMPARE(int(p.visual.size()), 5);
        QVERIFY(!p.visual[1].positive);
        QCOMPARE(p.visual[2].points[1][0], 8.0);
        QCOMPARE(p.visual[3].radius, 2.0);
        QCOMPARE(rle_area(p.visual[4].raster), int64_t(4));

        SegmentRequest generic;
        generic.task = Task::Generic;
        generic.categories = {"cat", "dog"};
        QCOMPARE(prompt_record(generic).text, std::string("cat, dog"));

        const FindAllEpisode e = episode_record(vgd, 0, "xsam");
        QCOMPARE(int(e.example.size()), 5);
        QVERIFY(episode_record(vgd, 42, "xsam").example.empty());
        InstanceResult cand;
        cand.mask = square(10, 10, 0, 0, 3);
        cand.score = 0.3f;
        QCOMPARE(rle_area(rejected_candidate(cand).mask), int64_t(9));
    }

    void restoringAProjectCopyKeepsGrounding() {
        // merge_project_into (the read-only fallback) brings captions and episodes with their links.
        Project base;
        base.image_root = "images";
        base.add_category("dog");
        ImageRecord& img = base.add_image("a.jpg", 40, 30);
        base.add_instance(img, 1, rle_encode(square(40, 30, 0, 0, 2))).created_ms = 1;  // id 1, as the copy's first
        base.next_instance_id = 50;
        const Project copy = grounded_project();
        merge_project_into(base, copy);
        const ImageRecord& r = base.images[0];
        QCOMPARE(int(r.instances.size()), 4);
        QCOMPARE(int(r.captions.size()), 1);
        QCOMPARE(int(r.episodes.size()), 2);
        // Links follow the instances to their new ids.
        for (const GroundedPhrase& ph : r.captions[0].phrases) {
            for (int64_t id : ph.instance_ids) QVERIFY(id >= 50);
        }
        QCOMPARE(r.episodes[0].example_instance_id, r.captions[0].phrases[0].instance_ids[0]);
        QCOMPARE(project_from_json(project_to_json(base), "m.json").images[0].captions[0].phrases[1].instance_ids.size(),
                 size_t(2));
    }
};

QTEST_GUILESS_MAIN(TestGrounding)
#include "test_grounding.moc"
