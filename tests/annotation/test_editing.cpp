// The editing operations of core/annotation/editing.h as tables (QtTest data rows): each row is the
// instance list before, the selection, the operation and the list expected after ("-" when the
// operation must change nothing).
//
// Lists are written compactly on a 4 x 3 image: "1:2:##..##......" is instance 1 of category 2 whose
// mask is the 12 pixels row by row ('#' set); "1*:..." marks an instance the operation edited (score
// 1, modified at the operation's time); a '!' after the category means hidden.
#include <QtTest>

#include "core/annotation/editing.h"
#include "core/annotation/vertex_editing.h"

using namespace xs;

namespace {

constexpr int kW = 4, kH = 3;
constexpr int64_t kBefore = 1000, kNow = 5000;

Mask parse_mask(const QString& pixels) {
    Mask m(kW, kH);
    for (int i = 0; i < kW * kH && i < pixels.size(); ++i) m.set(i % kW, i / kW, pixels[i] == '#');
    return m;
}

Instances parse_list(const QString& text) {
    Instances list;
    for (const QString& spec : text.split(' ', Qt::SkipEmptyParts)) {
        const QStringList f = spec.split(':');
        Instance inst;
        QString id = f[0];
        const bool edited = id.endsWith('*');
        if (edited) id.chop(1);
        inst.id = id.toLongLong();
        QString cat = f[1];
        inst.visible = !cat.endsWith('!');
        if (!inst.visible) cat.chop(1);
        inst.category_id = cat.toInt();
        inst.mask = rle_encode(parse_mask(f[2]));
        inst.score = edited ? 1.0f : 0.5f;
        inst.created_ms = kBefore;
        inst.modified_ms = edited ? kNow : kBefore;
        list.push_back(inst);
    }
    return list;
}

Selection parse_selection(const QString& text) {
    Selection s;
    for (const QString& id : text.split(',', Qt::SkipEmptyParts)) s.push_back(id.toLongLong());
    return s;
}

QString describe(const Instances& list) {
    QStringList out;
    for (const Instance& inst : list) {
        QString pixels;
        const Mask m = rle_decode(inst.mask);
        for (int y = 0; y < kH; ++y)
            for (int x = 0; x < kW; ++x) pixels += m.at(x, y) ? '#' : '.';
        const bool edited = inst.modified_ms == kNow && inst.score == 1.0f;
        out << QStringLiteral("%1%2:%3%4:%5").arg(inst.id).arg(edited ? "*" : "").arg(inst.category_id)
                   .arg(inst.visible ? "" : "!").arg(pixels);
    }
    return out.join(' ');
}


const char kStatusLetters[] = "tpdr";  // ReviewStatus in declaration order

std::map<ImageKey, ImageReview> parse_reviews(const QString& text) {
    std::map<ImageKey, ImageReview> reviews;
    for (const QString& spec : text.split(';', Qt::SkipEmptyParts)) {
        const int eq = spec.indexOf('='), open = spec.indexOf('[');
        ImageReview r;
        r.status = kReviewStatuses[QString(kStatusLetters).indexOf(spec[eq + 1])];
        for (const QString& t : spec.mid(open + 1).chopped(1).split(',', Qt::SkipEmptyParts)) r.tags.push_back(t.toStdString());
        reviews[spec.left(eq).toStdString()] = r;
    }
    return reviews;
}

QString describe_reviews(const std::map<ImageKey, ImageReview>& reviews) {
    QStringList out;
    for (const auto& [key, r] : reviews) {
        QStringList tags;
        for (const std::string& t : r.tags) tags << QString::fromStdString(t);
        out << QString::fromStdString(key) + "=" + kStatusLetters[int(r.status)] + "[" + tags.join(',') + "]";
    }
    return out.join(';');
}

// Attribute tables use two categories: 1 "car" declares parked (boolean, default false), colour
// (choice red/green/blue, default red), doors (number, default 4) and plate (text, default ""); 2 "tree"
// declares none. An instance is "id:category:flags:values" where flags are C (crowd), O (occluded),
// T (truncated) and values "note=..,colour=green,doors=2" (custom values only when stored); "*" after
// the id marks an instance the operation edited (modified at its time).
std::vector<Category> attribute_categories() {
    Category car;
    car.id = 1;
    car.name = "car";
    car.attributes = {{"parked", AttributeKind::boolean, {}, false},
                      {"colour", AttributeKind::choice, {"red", "green", "blue"}, std::string("red")},
                      {"doors", AttributeKind::number, {}, 4.0},
                      {"plate", AttributeKind::text, {}, std::string()}};
    Category tree;
    tree.id = 2;
    tree.name = "tree";
    return {car, tree};
}

AttributeValue parse_value(const QString& text) {
    if (text == "true" || text == "false") return text == "true";
    bool number = false;
    const double d = text.toDouble(&number);
    if (number) return d;
    return text.toStdString();
}

Instances parse_attribute_list(const QString& text) {
    Instances list;
    for (const QString& spec : text.split(' ', Qt::SkipEmptyParts)) {
        const QStringList f = spec.split(':');
        Instance inst;
        inst.id = f[0].toLongLong();
        inst.category_id = f[1].toInt();
        inst.iscrowd = f[2].contains('C');
        inst.occluded = f[2].contains('O');
        inst.truncated = f[2].contains('T');
        for (const QString& kv : f.value(3).split(',', Qt::SkipEmptyParts)) {
            const QString key = kv.section('=', 0, 0), value = kv.section('=', 1);
            if (key == "note") inst.note = value.toStdString();
            else inst.attributes[key.toStdString()] = parse_value(value);
        }
        inst.modified_ms = kBefore;
        list.push_back(inst);
    }
    return list;
}

// "name:kind:default[:choice|choice..]"
AttributeSpec parse_spec(const QString& text) {
    const QStringList f = text.split(':');
    AttributeSpec spec;
    spec.name = f[0].toStdString();
    spec.kind = *attribute_kind_from_name(f[1].toStdString());
    for (const QString& c : f.value(3).split('|', Qt::SkipEmptyParts)) spec.choices.push_back(c.toStdString());
    spec.default_value = spec.kind == AttributeKind::choice || spec.kind == AttributeKind::text
                             ? AttributeValue(f[2].toStdString()) : parse_value(f[2]);
    return spec;
}

QString describe_attributes(const Instances& list) {
    QStringList out;
    for (const Instance& inst : list) {
        QString flags = QString(inst.iscrowd ? "C" : "") + (inst.occluded ? "O" : "") + (inst.truncated ? "T" : "");
        QStringList values;
        if (!inst.note.empty()) values << "note=" + QString::fromStdString(inst.note);
        for (const auto& [key, value] : inst.attributes) {
            QString v = QString::fromStdString(attribute_value_text(value));
            v.remove('"');
            values << QString::fromStdString(key) + "=" + v;
        }
        out << QStringLiteral("%1%2:%3:%4:%5").arg(inst.id).arg(inst.modified_ms == kNow ? "*" : "")
                   .arg(inst.category_id).arg(flags, values.join(','));
    }
    return out.join(' ');
}

std::optional<Instances> run(const QString& op, const Instances& list, const Selection& sel, int arg, const QString& stroke) {
    if (op == "merge") return merge_instances(list, sel, kNow);
    if (op == "subtract") return subtract_instances(list, sel, kNow);
    if (op == "delete") return delete_instances(list, sel);
    if (op == "reorder") return reorder_instances(list, sel, arg);
    if (op == "category") {
        Category target;
        target.id = arg;
        return apply_category(list, sel, target, kNow);
    }
    if (op == "show") return set_visible(list, sel.front(), arg != 0);
    if (op == "paint") return paint_instance(list, sel.front(), parse_mask(stroke), false, kNow);
    if (op == "erase") return paint_instance(list, sel.front(), parse_mask(stroke), true, kNow);
    if (op == "setmask") return set_instance_mask(list, sel.front(), parse_mask(stroke), kNow);
    return std::nullopt;
}

// Shapes written compactly: shapes separated by ';', a shape's rings by '/' (the outline first, then
// its holes), a ring's vertices "x,y" by spaces. Vertices are "shape.ring.index".
PolygonShapes parse_shapes(const QString& text) {
    PolygonShapes shapes;
    for (const QString& shape_text : text.split(';', Qt::SkipEmptyParts)) {
        PolygonShape shape;
        const QStringList rings = shape_text.split('/');
        for (int r = 0; r < rings.size(); ++r) {
            Polygon ring;
            for (const QString& xy : rings[r].split(' ', Qt::SkipEmptyParts))
                ring.insert(ring.end(), {xy.section(',', 0, 0).toDouble(), xy.section(',', 1, 1).toDouble()});
            if (r == 0) shape.outer = ring;
            else shape.holes.push_back(ring);
        }
        shapes.push_back(shape);
    }
    return shapes;
}

QString describe_shapes(const PolygonShapes& shapes) {
    QStringList out;
    for (const PolygonShape& shape : shapes) {
        QStringList rings;
        for (int r = 0; r < ring_count(shape); ++r) {
            const Polygon& ring = r == 0 ? shape.outer : shape.holes[size_t(r - 1)];
            QStringList xy;
            for (size_t i = 0; i + 1 < ring.size(); i += 2) xy << QStringLiteral("%1,%2").arg(ring[i]).arg(ring[i + 1]);
            rings << xy.join(' ');
        }
        out << rings.join(" / ");
    }
    return out.join("; ");
}

std::vector<VertexRef> parse_vertices(const QString& text) {
    std::vector<VertexRef> refs;
    for (const QString& v : text.split(' ', Qt::SkipEmptyParts)) {
        const QStringList f = v.split('.');
        refs.push_back(VertexRef{f[0].toInt(), f[1].toInt(), f[2].toInt()});
    }
    return refs;
}

}  // namespace

class TestEditing : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void instance_operations_data() {
        QTest::addColumn<QString>("op");
        QTest::addColumn<QString>("before");
        QTest::addColumn<QString>("selection");
        QTest::addColumn<int>("arg");
        QTest::addColumn<QString>("stroke");
        QTest::addColumn<QString>("after");
        const QString three = "1:1:##..##...... 2:2:.##..##..... 3:1:........####";
        // merge: into the top-most selected, the union of the masks; unselected ones stay in place.
        QTest::newRow("merge two") << "merge" << three << "1,2" << 0 << "" << "2*:2:###.###..... 3:1:........####";
        QTest::newRow("merge around an unselected one") << "merge" << three << "3,1" << 0 << ""
                                                        << "2:2:.##..##..... 3*:1:##..##..####";
        QTest::newRow("merge all, selection order ignored") << "merge" << three << "3,2,1" << 0 << ""
                                                            << "3*:1:###.###.####";
        QTest::newRow("merge needs two") << "merge" << three << "2" << 0 << "" << "-";
        QTest::newRow("merge of unknown ids") << "merge" << three << "7,8" << 0 << "" << "-";
        // subtract: the top-most selected is cut out of the others; an emptied one goes.
        QTest::newRow("subtract") << "subtract" << three << "1,2" << 0 << "" << "1*:1:#...#....... 2:2:.##..##..... 3:1:........####";
        QTest::newRow("subtract empties") << "subtract" << "1:1:.#...#...... 2:2:.##..##....." << "1,2" << 0 << ""
                                          << "2:2:.##..##.....";
        QTest::newRow("subtract without overlap") << "subtract" << three << "1,3" << 0 << "" << "-";
        QTest::newRow("subtract needs two") << "subtract" << three << "1" << 0 << "" << "-";
        // delete
        QTest::newRow("delete one") << "delete" << three << "2" << 0 << "" << "1:1:##..##...... 3:1:........####";
        QTest::newRow("delete all") << "delete" << three << "1,2,3" << 0 << "" << "";
        QTest::newRow("delete nothing") << "delete" << three << "" << 0 << "" << "-";
        // reorder: one place, past unselected neighbours only.
        QTest::newRow("raise") << "reorder" << three << "1" << 1 << "" << "2:2:.##..##..... 1:1:##..##...... 3:1:........####";
        QTest::newRow("raise a block") << "reorder" << three << "1,2" << 1 << ""
                                       << "3:1:........#### 1:1:##..##...... 2:2:.##..##.....";
        QTest::newRow("raise the top-most") << "reorder" << three << "3" << 1 << "" << "-";
        QTest::newRow("lower") << "reorder" << three << "3" << -1 << "" << "1:1:##..##...... 3:1:........#### 2:2:.##..##.....";
        QTest::newRow("lower the bottom one") << "reorder" << three << "1" << -1 << "" << "-";
        // apply category
        QTest::newRow("category") << "category" << three << "1,2" << 5 << ""
                                  << "1:5:##..##...... 2:5:.##..##..... 3:1:........####";
        QTest::newRow("category unchanged") << "category" << three << "1,3" << 1 << "" << "-";
        // visibility
        QTest::newRow("hide") << "show" << three << "2" << 0 << "" << "1:1:##..##...... 2:2!:.##..##..... 3:1:........####";
        QTest::newRow("show a shown one") << "show" << three << "2" << 1 << "" << "-";
        // paint and erase (holes are kept)
        QTest::newRow("paint") << "paint" << three << "3" << 0 << "...#...#...." << "1:1:##..##...... 2:2:.##..##..... 3*:1:...#...#####";
        QTest::newRow("paint inside") << "paint" << three << "3" << 0 << "........##.." << "-";
        QTest::newRow("erase a hole") << "erase" << "1:1:############" << "1" << 0 << ".....#......" << "1*:1:#####.######";
        QTest::newRow("erase to nothing") << "erase" << three << "3" << 0 << "........####"
                                          << "1:1:##..##...... 2:2:.##..##.....";
        QTest::newRow("erase outside") << "erase" << three << "3" << 0 << "#..........." << "-";
        QTest::newRow("paint an unknown id") << "paint" << three << "9" << 0 << "############" << "-";
        // set a mask (vertex editing applied): holes are kept; an emptied instance goes
        QTest::newRow("set mask") << "setmask" << three << "3" << 0 << "####.#.#####" << "1:1:##..##...... 2:2:.##..##..... 3*:1:####.#.#####";
        QTest::newRow("set the same mask") << "setmask" << three << "3" << 0 << "........####" << "-";
        QTest::newRow("set an empty mask") << "setmask" << three << "3" << 0 << "" << "1:1:##..##...... 2:2:.##..##.....";
        QTest::newRow("set mask of an unknown id") << "setmask" << three << "9" << 0 << "#" << "-";
    }

    void instance_operations() {
        QFETCH(QString, op);
        QFETCH(QString, before);
        QFETCH(QString, selection);
        QFETCH(int, arg);
        QFETCH(QString, stroke);
        QFETCH(QString, after);
        const Instances list = parse_list(before);
        const std::optional<Instances> got = run(op, list, parse_selection(selection), arg, stroke);
        if (after == "-") {
            if (got) QFAIL(qPrintable("changed to " + describe(*got)));
            return;
        }
        QVERIFY(got);
        QCOMPARE(describe(*got), describe(parse_list(after)));
        QCOMPARE(describe(list), describe(parse_list(before)));  // the input is left as it was
    }

    void vertex_operations_data() {
        QTest::addColumn<QString>("op");
        QTest::addColumn<QString>("before");
        QTest::addColumn<QString>("vertices");
        QTest::addColumn<QPointF>("arg");  // move: the offset; insert: the new vertex
        QTest::addColumn<QString>("after");
        const QString square = "0,0 4,0 4,4 0,4";
        const QString holed = "0,0 8,0 8,8 0,8 / 2,2 6,2 6,6; 10,0 12,0 12,2";
        QTest::newRow("move one") << "move" << square << "0.0.1" << QPointF(1, 2) << "0,0 5,2 4,4 0,4";
        QTest::newRow("move several, in a hole too") << "move" << holed << "0.0.0 0.1.2 1.0.1" << QPointF(-1, 0.5)
                                                     << "-1,0.5 8,0 8,8 0,8 / 2,2 6,2 5,6.5; 10,0 11,0.5 12,2";
        QTest::newRow("move a vertex named twice once") << "move" << square << "0.0.3 0.0.3" << QPointF(1, 1) << "0,0 4,0 4,4 1,5";
        QTest::newRow("move by nothing") << "move" << square << "0.0.1" << QPointF(0, 0) << "-";
        QTest::newRow("move unknown vertices") << "move" << holed << "0.0.4 0.2.0 2.0.0 0.1.-1" << QPointF(1, 1) << "-";
        QTest::newRow("insert") << "insert" << square << "0.0.0" << QPointF(2, -1) << "0,0 2,-1 4,0 4,4 0,4";
        QTest::newRow("insert on the closing edge") << "insert" << square << "0.0.3" << QPointF(-1, 2) << "0,0 4,0 4,4 0,4 -1,2";
        QTest::newRow("insert in a hole") << "insert" << holed << "0.1.1" << QPointF(7, 4)
                                          << "0,0 8,0 8,8 0,8 / 2,2 6,2 7,4 6,6; 10,0 12,0 12,2";
        QTest::newRow("insert on an unknown edge") << "insert" << square << "0.0.4" << QPointF(1, 1) << "-";
        QTest::newRow("delete one") << "delete" << square << "0.0.2" << QPointF() << "0,0 4,0 0,4";
        QTest::newRow("delete to two: the shape goes") << "delete" << square << "0.0.0 0.0.1" << QPointF() << "";
        QTest::newRow("delete a hole's vertex: the hole goes") << "delete" << holed << "0.1.0" << QPointF()
                                                                << "0,0 8,0 8,8 0,8; 10,0 12,0 12,2";
        QTest::newRow("delete an outline: its holes go") << "delete" << holed << "0.0.0 0.0.1" << QPointF() << "10,0 12,0 12,2";
        QTest::newRow("delete unknown vertices") << "delete" << square << "0.0.4 1.0.0" << QPointF() << "-";
    }

    void vertex_operations() {
        QFETCH(QString, op);
        QFETCH(QString, before);
        QFETCH(QString, vertices);
        QFETCH(QPointF, arg);
        QFETCH(QString, after);
        const PolygonShapes shapes = parse_shapes(before);
        const std::vector<VertexRef> refs = parse_vertices(vertices);
        std::optional<PolygonShapes> got;
        if (op == "move") got = move_vertices(shapes, refs, arg.x(), arg.y());
        if (op == "insert") got = insert_vertex(shapes, refs.front(), arg.x(), arg.y());
        if (op == "delete") got = delete_vertices(shapes, refs);
        if (after == "-") {
            if (got) QFAIL(qPrintable("changed to " + describe_shapes(*got)));
            return;
        }
        QVERIFY(got);
        QCOMPARE(describe_shapes(*got), describe_shapes(parse_shapes(after)));
        QCOMPARE(describe_shapes(shapes), describe_shapes(parse_shapes(before)));
    }

    void edited_shapes_rasterise_with_their_holes() {
        // A 10 x 10 block with a 4 x 4 hole: moving the hole's vertices moves the hole, and the
        // instance gets exactly the rasterised result (one step, through set_instance_mask).
        Mask block(12, 12);
        for (int y = 1; y <= 10; ++y)
            for (int x = 1; x <= 10; ++x) block.set(x, y, !(x >= 3 && x <= 6 && y >= 3 && y <= 6));
        const PolygonShapes shapes = mask_to_shapes(block, 1.0);
        QCOMPARE(int(shapes.size()), 1);
        QCOMPARE(int(shapes[0].holes.size()), 1);
        std::vector<VertexRef> hole;
        for (int i = 0; i < int(shapes[0].holes[0].size() / 2); ++i) hole.push_back(VertexRef{0, 1, i});
        const std::optional<PolygonShapes> moved = move_vertices(shapes, hole, 2, 2);
        QVERIFY(moved);
        const Mask after = shapes_to_mask(*moved, 12, 12);
        QCOMPARE(after.area(), block.area());
        QVERIFY(after.at(3, 3) && !after.at(5, 5) && !after.at(8, 8) && after.at(9, 9));
        Instance inst;
        inst.id = 7;
        inst.mask = rle_encode(block);
        const std::optional<Instances> list = set_instance_mask({inst}, 7, after, kNow);
        QVERIFY(list);
        QVERIFY(rle_decode(list->front().mask) == after);
        QCOMPARE(list->front().modified_ms, kNow);
    }

    void merge_reports_the_kept_id() {
        int64_t kept = 0;
        QVERIFY(merge_instances(parse_list("4:1:#........... 9:1:.#.......... 6:1:..#........."), {4, 9}, kNow, &kept));
        QCOMPARE(kept, int64_t(9));
    }

    void category_names_data() {
        QTest::addColumn<QString>("op");
        QTest::addColumn<int>("id");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("after");  // names in order, "-" for no change
        QTest::newRow("rename") << "rename" << 2 << "dog" << "cat dog";
        QTest::newRow("rename to a taken name") << "rename" << 2 << "cat" << "-";
        QTest::newRow("rename to the same name") << "rename" << 2 << "tree" << "-";
        QTest::newRow("rename to nothing") << "rename" << 1 << "" << "-";
        QTest::newRow("rename an unknown id") << "rename" << 7 << "dog" << "-";
        QTest::newRow("add") << "add" << 0 << "dog" << "cat tree dog";
        QTest::newRow("add a taken name") << "add" << 0 << "tree" << "-";
        QTest::newRow("add Unicode") << "add" << 0 << "Äpfel 日本" << "cat tree Äpfel 日本";
        QTest::newRow("add nothing") << "add" << 0 << "" << "-";
    }

    void category_names() {
        QFETCH(QString, op);
        QFETCH(int, id);
        QFETCH(QString, name);
        QFETCH(QString, after);
        Project p;
        p.add_category("cat");
        p.add_category("tree");
        std::optional<std::vector<Category>> got;
        if (op == "rename") got = rename_category(p.categories, id, name.toStdString());
        if (op == "add")
            if (std::optional<ProjectEdit> e = add_category(p, name.toStdString())) got = e->categories;
        if (after == "-") {
            QVERIFY(!got);
            return;
        }
        QVERIFY(got);
        QStringList names;
        for (const Category& c : *got) names << QString::fromStdString(c.name);
        QCOMPARE(names.join(' '), after);
        QCOMPARE(p.categories.size(), size_t(2));  // the project itself is not changed
    }

    void added_category_ids_are_never_reused() {
        Project p;
        p.add_category("cat");
        std::optional<ProjectEdit> first = add_category(p, "dog");
        QVERIFY(first);
        QCOMPARE(first->categories->back().id, 2);
        QCOMPARE(first->categories->back().color, category_palette_color(2));
        // The edit is undone (never applied): the next category still gets a fresh id.
        std::optional<ProjectEdit> second = add_category(p, "dog");
        QVERIFY(second);
        QCOMPARE(second->categories->back().id, 3);
    }

    void recolor() {
        Project p;
        p.add_category("cat");
        const Rgb red{255, 0, 0};
        std::optional<std::vector<Category>> got = recolor_category(p.categories, 1, red);
        QVERIFY(got);
        QVERIFY(got->front().color == red);
        QVERIFY(!recolor_category(*got, 1, red));
        QVERIFY(!recolor_category(p.categories, 4, red));
    }

    void delete_category_removes_its_instances_everywhere() {
        Project p;
        const int cat = p.add_category("cat").id;
        const int tree = p.add_category("tree").id;
        ImageRecord& a = p.add_image("a.png", kW, kH);
        p.add_instance(a, cat, rle_encode(parse_mask("#")));
        p.add_instance(a, tree, rle_encode(parse_mask(".#")));
        ImageRecord& b = p.add_image("b.png", kW, kH);
        p.add_instance(b, tree, rle_encode(parse_mask("..#")));
        p.add_image("c.png", kW, kH);
        std::optional<ProjectEdit> e = delete_category(p, tree);
        QVERIFY(e);
        QCOMPARE(e->categories->size(), size_t(1));
        QCOMPARE(e->categories->front().name, std::string("cat"));
        QCOMPARE(e->instances.size(), size_t(2));  // only the images it touches
        QCOMPARE(e->instances["a.png"].size(), size_t(1));
        QCOMPARE(e->instances["a.png"].front().category_id, cat);
        QVERIFY(e->instances["b.png"].empty());
        QVERIFY(!delete_category(p, 42));
    }

    void new_instance_category_data() {
        QTest::addColumn<QString>("categories");
        QTest::addColumn<int>("current");
        QTest::addColumn<QString>("chosen");      // the chosen category's name
        QTest::addColumn<bool>("edit_adds_one");  // the edit carries a new category
        QTest::newRow("the current one") << "cat tree" << 2 << "tree" << false;
        QTest::newRow("none current: the first") << "cat tree" << 0 << "cat" << false;
        QTest::newRow("a deleted current one: the first") << "cat tree" << 9 << "cat" << false;
        QTest::newRow("a fresh project: object") << "" << 0 << "object" << true;
    }

    void new_instance_category() {
        QFETCH(QString, categories);
        QFETCH(int, current);
        QFETCH(QString, chosen);
        QFETCH(bool, edit_adds_one);
        Project p;
        for (const QString& n : categories.split(' ', Qt::SkipEmptyParts)) p.add_category(n.toStdString());
        ProjectEdit edit;
        const int id = category_for_new_instances(p, current, &edit);
        QCOMPARE(bool(edit.categories), edit_adds_one);
        const std::vector<Category>& cats = edit.categories ? *edit.categories : p.categories;
        const Category* c = nullptr;
        for (const Category& k : cats)
            if (k.id == id) c = &k;
        QVERIFY(c);
        QCOMPARE(QString::fromStdString(c->name), chosen);
        // Asking again within the same edit does not reserve a second one.
        if (edit_adds_one) {
            QCOMPARE(category_for_new_instances(p, 0, &edit), id);
            QCOMPARE(edit.categories->size(), size_t(1));
        }
    }
    void set_attribute_data() {
        QTest::addColumn<QString>("before");
        QTest::addColumn<QString>("selection");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("after");  // "-": nothing changes
        const QString two = "1:1:: 2:2:O:";
        QTest::newRow("crowd on one") << two << "1" << "iscrowd" << "true" << "1*:1:C: 2:2:O:";
        QTest::newRow("occluded on both, one had it") << two << "1,2" << "occluded" << "true" << "1*:1:O: 2:2:O:";
        QTest::newRow("occluded off") << two << "2" << "occluded" << "false" << "1:1:: 2*:2::";
        QTest::newRow("unchanged") << two << "2" << "occluded" << "true" << "-";
        QTest::newRow("truncated") << two << "1,2" << "truncated" << "true" << "1*:1:T: 2*:2:OT:";
        QTest::newRow("note") << two << "2" << "note" << "by the road" << "1:1:: 2*:2:O:note=by the road";
        QTest::newRow("note cleared") << "1:1::note=x" << "1" << "note" << "" << "1*:1::";
        QTest::newRow("flag needs a boolean") << two << "1" << "iscrowd" << "yes" << "-";
        QTest::newRow("note needs text") << two << "1" << "note" << "true" << "-";
        QTest::newRow("choice") << two << "1" << "colour" << "green" << "1*:1::colour=green 2:2:O:";
        QTest::newRow("choice not in list") << two << "1" << "colour" << "pink" << "-";
        QTest::newRow("back to the default is not stored") << "1:1::colour=green" << "1" << "colour" << "red"
                                                           << "1*:1::";
        QTest::newRow("number") << two << "1" << "doors" << "2" << "1*:1::doors=2 2:2:O:";
        QTest::newRow("number needs a number") << two << "1" << "doors" << "two" << "-";
        QTest::newRow("boolean") << two << "1" << "parked" << "true" << "1*:1::parked=true 2:2:O:";
        QTest::newRow("text") << two << "1" << "plate" << "AB-12" << "1*:1::plate=AB-12 2:2:O:";
        QTest::newRow("custom only where declared") << two << "1,2" << "doors" << "3" << "1*:1::doors=3 2:2:O:";
        QTest::newRow("custom nowhere declared") << two << "2" << "doors" << "3" << "-";
        QTest::newRow("unknown name") << two << "1,2" << "weight" << "3" << "-";
        QTest::newRow("nothing selected") << two << "" << "iscrowd" << "true" << "-";
    }
    void set_attribute() {
        QFETCH(QString, before);
        QFETCH(QString, selection);
        QFETCH(QString, name);
        QFETCH(QString, value);
        QFETCH(QString, after);
        const std::optional<Instances> got =
            xs::set_attribute(parse_attribute_list(before), parse_selection(selection), attribute_categories(),
                              name.toStdString(), parse_value(value), kNow);
        if (after == "-") {
            QVERIFY2(!got, qPrintable(got ? describe_attributes(*got) : QString()));
            return;
        }
        QVERIFY(got);
        QCOMPARE(describe_attributes(*got), after);
    }

    void toggled_flag_sets_unless_all_have_it() {
        const Instances list = parse_attribute_list("1:1:C: 2:2:CO: 3:1::");
        QCOMPARE(toggled_flag(list, {1, 2}, "iscrowd"), false);
        QCOMPARE(toggled_flag(list, {1, 3}, "iscrowd"), true);
        QCOMPARE(toggled_flag(list, {1, 2}, "occluded"), true);
    }

    void category_change_keeps_declared_values() {
        const std::vector<Category> cats = attribute_categories();
        Category van = cats[0];
        van.id = 3;
        van.attributes.erase(van.attributes.begin() + 2);  // no doors
        const Instances list = parse_attribute_list("1:1:O:note=n,colour=blue,doors=2");
        std::optional<Instances> got = apply_category(list, {1}, van, kNow);
        QVERIFY(got);
        QCOMPARE(describe_attributes(*got), QString("1*:3:O:note=n,colour=blue"));
        got = apply_category(list, {1}, cats[1], kNow);
        QVERIFY(got);
        QCOMPARE(describe_attributes(*got), QString("1*:2:O:note=n"));
    }

    void category_attributes_data() {
        QTest::addColumn<QString>("op");        // declare / rename / remove / change, on category 1
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("arg");       // declare: kind:default[:choices|..]; rename: the new name;
                                                // change: new name:kind:default[:choices|..]
        QTest::addColumn<QString>("specs");     // category 1's attribute names after, "-": no edit
        QTest::addColumn<QString>("images");    // touched images' lists after, "a.png=...;b.png=..."
        QTest::newRow("declare boolean") << "declare" << "wet" << "boolean:false" << "parked colour doors plate wet" << "";
        QTest::newRow("declare choice") << "declare" << "size" << "choice:s:s|m|l"
                                        << "parked colour doors plate size" << "";
        QTest::newRow("declare taken") << "declare" << "doors" << "number:1" << "-" << "";
        QTest::newRow("declare fixed name") << "declare" << "occluded" << "boolean:false" << "-" << "";
        QTest::newRow("declare empty name") << "declare" << "" << "boolean:false" << "-" << "";
        QTest::newRow("declare bad default") << "declare" << "size" << "choice:xl:s|m|l" << "-" << "";
        QTest::newRow("declare choice without choices") << "declare" << "size" << "choice:" << "-" << "";
        QTest::newRow("declare number with text default") << "declare" << "w" << "number:heavy" << "-" << "";
        QTest::newRow("rename") << "rename" << "colour" << "paint" << "parked paint doors plate"
                                << "a.png=1:1::paint=green 2:2:: 3:1::;b.png=4:1::doors=2,paint=blue";
        QTest::newRow("rename to taken") << "rename" << "colour" << "doors" << "-" << "";
        QTest::newRow("rename to fixed") << "rename" << "colour" << "note" << "-" << "";
        QTest::newRow("rename unknown") << "rename" << "wheels" << "w" << "-" << "";
        QTest::newRow("rename unvalued") << "rename" << "plate" << "reg" << "parked colour doors reg" << "";
        QTest::newRow("remove") << "remove" << "colour" << "" << "parked doors plate"
                                << "a.png=1:1:: 2:2:: 3:1::;b.png=4:1::doors=2";
        QTest::newRow("remove unknown") << "remove" << "wheels" << "" << "-" << "";
        // A new default: instances that had the old one keep it (stored now), those on the new one
        // store nothing.
        QTest::newRow("change default") << "change" << "colour" << "colour:choice:green:red|green|blue"
                                        << "parked colour doors plate"
                                        << "a.png=1:1:: 2:2:: 3:1::colour=red";
        QTest::newRow("change drops a choice") << "change" << "colour" << "colour:choice:red:red|blue"
                                               << "parked colour doors plate" << "a.png=1:1:: 2:2:: 3:1::";
        QTest::newRow("change kind") << "change" << "doors" << "doors:text:" << "parked colour doors plate"
                                     << "b.png=4:1::colour=blue";
        QTest::newRow("change choice to text keeps strings") << "change" << "colour" << "colour:text:"
                                                             << "parked colour doors plate"
                                                             << "a.png=1:1::colour=green 2:2:: 3:1::colour=red";
        QTest::newRow("change and rename") << "change" << "colour" << "paint:choice:red:red|green|blue"
                                           << "parked paint doors plate"
                                           << "a.png=1:1::paint=green 2:2:: 3:1::;b.png=4:1::doors=2,paint=blue";
        QTest::newRow("change nothing") << "change" << "colour" << "colour:choice:red:red|green|blue" << "-" << "";
        QTest::newRow("change to taken name") << "change" << "colour" << "doors:choice:red:red" << "-" << "";
        QTest::newRow("change default not a choice") << "change" << "colour" << "colour:choice:pink:red|green"
                                                     << "-" << "";
        QTest::newRow("change without choices") << "change" << "colour" << "colour:choice:" << "-" << "";
        QTest::newRow("change unknown") << "change" << "wheels" << "wheels:boolean:false" << "-" << "";
    }
    void category_attributes() {
        QFETCH(QString, op);
        QFETCH(QString, name);
        QFETCH(QString, arg);
        QFETCH(QString, specs);
        QFETCH(QString, images);
        Project p;
        p.categories = attribute_categories();
        p.add_image("a.png", kW, kH).instances = parse_attribute_list("1:1::colour=green 2:2:: 3:1::");
        p.add_image("b.png", kW, kH).instances = parse_attribute_list("4:1::colour=blue,doors=2");
        std::optional<ProjectEdit> e;
        if (op == "declare") {
            e = declare_attribute(p, 1, parse_spec(name + ":" + arg));
        } else if (op == "change") {
            e = change_attribute(p, 1, name.toStdString(), parse_spec(arg));
        } else if (op == "rename") {
            e = rename_attribute(p, 1, name.toStdString(), arg.toStdString());
        } else {
            e = remove_attribute(p, 1, name.toStdString());
        }
        if (specs == "-") {
            QVERIFY(!e);
            return;
        }
        QVERIFY(e && e->categories);
        QStringList names;
        for (const AttributeSpec& s : e->categories->front().attributes) names << QString::fromStdString(s.name);
        QCOMPARE(names.join(' '), specs);
        QCOMPARE(e->categories->back().attributes.size(), size_t(0));  // tree untouched
        QStringList touched;
        for (const auto& [key, list] : e->instances)
            touched << QString::fromStdString(key) + "=" + describe_attributes(list);
        QCOMPARE(touched.join(';'), images);
    }

    // The count the GUI reports: instances whose value the new declaration could not take.
    void change_attribute_counts_reset_values() {
        Project p;
        p.categories = attribute_categories();
        p.add_image("a.png", kW, kH).instances = parse_attribute_list("1:1::colour=green 2:2:: 3:1::");
        p.add_image("b.png", kW, kH).instances = parse_attribute_list("4:1::colour=blue");
        int reset = -1;
        QVERIFY(change_attribute(p, 1, "colour", parse_spec("colour:choice:red:red|blue"), &reset));
        QCOMPARE(reset, 1);  // #1's green
        QVERIFY(change_attribute(p, 1, "colour", parse_spec("colour:number:1"), &reset));
        QCOMPARE(reset, 3);  // every car: green, red (the default), blue
        QVERIFY(!change_attribute(p, 1, "colour", parse_spec("colour:choice:red:red|green|blue"), &reset));
        QCOMPARE(reset, 0);
    }

    // Review edits. A project's reviews are written "key=status[tag,tag]" (status: t to do, p in
    // progress, d done, r needs review), ';' between images, only images not at the default. The
    // expected column is the reviews after the edit, "-" when it must change nothing.
    void review_edits_data() {
        QTest::addColumn<QString>("before");
        QTest::addColumn<QString>("op");
        QTest::addColumn<QString>("keys");
        QTest::addColumn<QString>("arg");
        QTest::addColumn<QString>("after");
        QTest::newRow("status on one") << "" << "status" << "a" << "d" << "a=d[]";
        QTest::newRow("status on several, one unopened") << "b=p[]" << "status" << "a,b,zz/never-opened.jpg" << "r"
                                                         << "a=r[];b=r[];zz/never-opened.jpg=r[]";
        QTest::newRow("status already there") << "a=d[]" << "status" << "a" << "d" << "-";
        QTest::newRow("back to to do drops the entry") << "a=d[];b=p[]" << "status" << "a" << "t" << "b=p[]";
        QTest::newRow("to do keeps the tags") << "a=d[x]" << "status" << "a" << "t" << "a=t[x]";
        QTest::newRow("status on no image") << "a=d[]" << "status" << "" << "p" << "-";
        QTest::newRow("status keeps tags") << "a=p[night]" << "status" << "a" << "d" << "a=d[night]";
        QTest::newRow("tag added sorted") << "a=p[zebra]" << "tag+" << "a" << "night" << "a=p[night,zebra]";
        QTest::newRow("tag trimmed") << "" << "tag+" << "a" << "  night\t" << "a=t[night]";
        QTest::newRow("tag on several, some have it") << "a=t[night]" << "tag+" << "a,b" << "night"
                                                      << "a=t[night];b=t[night]";
        QTest::newRow("tag all have") << "a=t[night];b=d[night]" << "tag+" << "a,b" << "night" << "-";
        QTest::newRow("empty tag") << "" << "tag+" << "a" << "  " << "-";
        QTest::newRow("two-line tag") << "" << "tag+" << "a" << "a\nb" << "-";
        QTest::newRow("tag removed") << "a=d[night,rain]" << "tag-" << "a" << "night" << "a=d[rain]";
        QTest::newRow("last tag removed drops the entry") << "a=t[night];b=d[]" << "tag-" << "a,b" << "night" << "b=d[]";
        QTest::newRow("tag not there") << "a=d[rain]" << "tag-" << "a" << "night" << "-";
        QTest::newRow("tags are case sensitive") << "a=d[Night]" << "tag-" << "a" << "night" << "-";
    }

    void review_edits() {
        QFETCH(QString, before);
        QFETCH(QString, op);
        QFETCH(QString, keys);
        QFETCH(QString, arg);
        QFETCH(QString, after);
        Project p;
        p.add_image("a", kW, kH);
        p.add_image("b", kW, kH);
        p.reviews = parse_reviews(before);
        std::vector<ImageKey> selected;
        for (const QString& k : keys.split(',', Qt::SkipEmptyParts)) selected.push_back(k.toStdString());
        std::optional<ProjectEdit> e;
        if (op == "status") {
            e = set_review_status(p, selected, parse_reviews("x=" + arg + "[]").at("x").status);
        } else if (op == "tag+") {
            e = add_tag(p, selected, arg.toStdString());
        } else {
            e = remove_tag(p, selected, arg.toStdString());
        }
        if (after == "-") {
            QVERIFY(!e);
            return;
        }
        QVERIFY(e && !e->categories && e->instances.empty() && e->grounding.empty());
        for (const auto& [key, review] : e->reviews) p.set_review(key, review);  // what Document::apply does
        QCOMPARE(describe_reviews(p.reviews), after);
    }

    void review_status_names_round_trip() {
        for (ReviewStatus s : kReviewStatuses) QCOMPARE(review_status_from_name(review_status_name(s)), std::optional(s));
        QVERIFY(!review_status_from_name("Done"));
        QVERIFY(!review_status_from_name(""));
    }
};

QTEST_MAIN(TestEditing)
#include "test_editing.moc"
