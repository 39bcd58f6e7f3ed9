// Structural pickle check: see pickle_check.h. The walk keeps the pickle machine's stack, marks and
// memo as indices into a graph of value nodes (no values), so it can bound every length and index the
// stream carries and measure how deep the values it would build nest.
#include "core/xsam/weights/pickle_check.h"

#include "core/util/error.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace xs::xsam {

namespace {

class Walker {
public:
    Walker(const unsigned char* data, size_t size, const std::string& what) : d_(data), n_(size), what_(what) {}

    PickleSummary run(int max_depth) {
        PickleSummary s;
        if (n_ > (size_t{1} << 30)) fail(0, "it is " + std::to_string(n_) + " bytes long (a state dict's is a few MB)");
        bool stopped = false;
        int root = -1;
        while (!stopped) {
            if (pos_ >= n_) fail(pos_, "ends without a STOP opcode (truncated?)");
            op_at_ = pos_;
            const unsigned char op = d_[pos_++];
            ++s.opcodes;
            switch (op) {
            // --- constants: push one leaf
            case 'N': case 0x88: case 0x89: push(leaf()); break;          // NONE NEWTRUE NEWFALSE
            case 'K': fixed(1); push(leaf()); break;                        // BININT1
            case 'M': fixed(2); push(leaf()); break;                        // BININT2
            case 'J': fixed(4); push(leaf()); break;                        // BININT
            case 'G': fixed(8); push(leaf()); break;                        // BINFLOAT
            case 'I': case 'L': case 'F': case 'S': case 'V':              // INT LONG FLOAT STRING UNICODE
                line(); push(leaf()); break;
            case 0x8a: case 'U': case 'C': case 0x8c:                      // LONG1 SHORT_BINSTRING SHORT_BINBYTES SHORT_BINUNICODE
                skip(u(1)); push(leaf()); break;
            case 0x8b: case 'T': case 'B': case 'X':                       // LONG4 BINSTRING BINBYTES BINUNICODE
                skip(u(4)); push(leaf()); break;
            case 0x8d: case 0x8e: case 0x96:                               // BINUNICODE8 BINBYTES8 BYTEARRAY8
                skip(u(8)); push(leaf()); break;
            case 0x97: push(leaf()); break;                                // NEXT_BUFFER
            case 0x98: (void)top(); break;                                 // READONLY_BUFFER
            case 'c': line(); line(); push(leaf()); break;                 // GLOBAL module\nname\n
            case 0x93: pop(); pop(); push(leaf()); break;                  // STACK_GLOBAL
            case 0x82: fixed(1); push(leaf()); break;                       // EXT1
            case 0x83: fixed(2); push(leaf()); break;                       // EXT2
            case 0x84: fixed(4); push(leaf()); break;                       // EXT4
            case 'P': line(); push(leaf()); break;                         // PERSID
            case 'Q': push(node({pop()})); break;                          // BINPERSID
            // --- containers
            case ')': case ']': case '}': case 0x8f: push(node({})); break;  // EMPTY_TUPLE/LIST/DICT/SET
            case 0x85: push(node({pop()})); break;                         // TUPLE1
            case 0x86: { int b = pop(), a = pop(); push(node({a, b})); break; }           // TUPLE2
            case 0x87: { int c = pop(), b = pop(), a = pop(); push(node({a, b, c})); break; }  // TUPLE3
            case 't': case 'l': case 0x91: push(node(pop_mark())); break;  // TUPLE LIST FROZENSET
            case 'd': {                                                    // DICT
                auto items = pop_mark();
                if (items.size() % 2) fail(op_at_, "DICT with an odd number of items");
                push(node(std::move(items)));
                break;
            }
            case 'i': {                                                    // INST module\nname\n
                line(); line();
                push(node(pop_mark()));
                break;
            }
            case 'o': push(node(pop_mark())); break;                       // OBJ
            case 'a': { int v = pop(); add_kid(top(), v); break; }         // APPEND
            case 'e': case 0x90: {                                         // APPENDS ADDITEMS
                auto items = pop_mark();
                const int target = top();
                for (int v : items) add_kid(target, v);
                break;
            }
            case 's': { int v = pop(), k = pop(); add_kid(top(), k); add_kid(top(), v); break; }  // SETITEM
            case 'u': {                                                    // SETITEMS
                auto items = pop_mark();
                if (items.size() % 2) fail(op_at_, "SETITEMS with an odd number of items");
                const int target = top();
                for (int v : items) add_kid(target, v);
                break;
            }
            case 'R': case 0x81: { int args = pop(), f = pop(); push(node({f, args})); break; }  // REDUCE NEWOBJ
            case 0x92: { int kw = pop(), args = pop(), cls = pop(); push(node({cls, args, kw})); break; }  // NEWOBJ_EX
            case 'b': { int state = pop(); add_kid(top(), state); break; }  // BUILD
            // --- stack
            case '(': marks_.push_back(stack_.size()); break;              // MARK
            case '0':                                                      // POP (pops a MARK when the frame is empty)
                if (stack_.size() > frame_base()) stack_.pop_back();
                else if (!marks_.empty()) marks_.pop_back();
                else fail(op_at_, "POP on an empty stack");
                break;
            case '1': (void)pop_mark(); break;                             // POP_MARK
            case '2': push(top()); break;                                  // DUP
            // --- memo
            case 'p': put(number(line())); break;                          // PUT
            case 'q': put(u(1)); break;                                    // BINPUT
            case 'r': put(u(4)); break;                                    // LONG_BINPUT
            case 0x94: put(memo_.size()); break;                           // MEMOIZE
            case 'g': push(get(number(line()))); break;                    // GET
            case 'h': push(get(u(1))); break;                              // BINGET
            case 'j': push(get(u(4))); break;                              // LONG_BINGET
            // --- framing
            case 0x80: {                                                   // PROTO
                const uint64_t p = u(1);
                if (p > 5) fail(op_at_, "pickle protocol " + std::to_string(p) + " (at most 5 is known)");
                s.protocol = static_cast<int>(p);
                break;
            }
            case 0x95: {                                                   // FRAME
                const uint64_t len = u(8);
                if (len > n_ - pos_) fail(op_at_, "FRAME of " + std::to_string(len) + " bytes runs past the end");
                break;
            }
            case '.':                                                      // STOP
                root = pop();
                stopped = true;
                break;
            default: {
                static const char* hex = "0123456789abcdef";
                fail(op_at_, std::string("unknown opcode 0x") + hex[op >> 4] + hex[op & 15]);
            }
            }
        }
        s.objects = kids_.size();
        s.memo_size = memo_.size();
        s.depth = depth_of_all(max_depth, root);
        return s;
    }

private:
    [[noreturn]] void fail(size_t at, const std::string& msg) const {
        throw Error(what_ + ": corrupt pickle at byte " + std::to_string(at) + ": " + msg);
    }
    uint64_t u(int bytes) {
        if (static_cast<size_t>(bytes) > n_ - pos_) fail(op_at_, "truncated opcode argument");
        uint64_t v = 0;
        for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(d_[pos_ + i]) << (8 * i);
        pos_ += bytes;
        return v;
    }
    void fixed(size_t bytes) {
        if (bytes > n_ - pos_) fail(op_at_, "truncated opcode argument");
        pos_ += bytes;
    }
    void skip(uint64_t len) {
        if (len > n_ - pos_) fail(op_at_, "a length of " + std::to_string(len) + " bytes runs past the end (" +
                                              std::to_string(n_ - pos_) + " left)");
        pos_ += len;
    }
    std::string line() {
        const unsigned char* nl = static_cast<const unsigned char*>(std::memchr(d_ + pos_, '\n', n_ - pos_));
        if (!nl) fail(op_at_, "a text argument without an end of line");
        std::string s(reinterpret_cast<const char*>(d_ + pos_), static_cast<size_t>(nl - (d_ + pos_)));
        pos_ = static_cast<size_t>(nl - d_) + 1;
        return s;
    }
    uint64_t number(const std::string& s) {
        if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
            fail(op_at_, "a memo index \"" + s.substr(0, 20) + "\" that is not a number");
        return std::stoull(s);
    }
    int leaf() { return node({}); }
    int node(std::vector<int> kids) {
        kids_.push_back(std::move(kids));
        return static_cast<int>(kids_.size() - 1);
    }
    void add_kid(int parent, int kid) { kids_[static_cast<size_t>(parent)].push_back(kid); }
    size_t frame_base() const { return marks_.empty() ? 0 : marks_.back(); }
    void push(int v) { stack_.push_back(v); }
    int top() {
        if (stack_.size() <= frame_base()) fail(op_at_, stack_.empty() ? "the stack is empty" : "the stack is empty above the MARK");
        return stack_.back();
    }
    int pop() {
        const int v = top();
        stack_.pop_back();
        return v;
    }
    std::vector<int> pop_mark() {
        if (marks_.empty()) fail(op_at_, "no MARK to pop to");
        std::vector<int> items(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
        stack_.resize(marks_.back());
        marks_.pop_back();
        return items;
    }
    void put(uint64_t id) {
        const int v = top();
        if (id > memo_.size())
            fail(op_at_, "memo index " + std::to_string(id) + " skips ahead of the " + std::to_string(memo_.size()) +
                             " entries so far");
        if (id == memo_.size()) memo_.push_back(v);
        else memo_[id] = v;
    }
    int get(uint64_t id) {
        if (id >= memo_.size())
            fail(op_at_, "reads memo entry " + std::to_string(id) + " of " + std::to_string(memo_.size()));
        return memo_[id];
    }
    // Checks the nesting of every value built (those dropped are destroyed too) against max_depth by
    // an explicit post-order walk (a value reached again while it is on the walk is a cycle) and
    // returns the root's depth.
    int depth_of_all(int max_depth, int root) {
        std::vector<int> depth(kids_.size(), 0);  // 0: unseen, -1: on the walk, >0: done
        std::vector<std::pair<int, size_t>> walk;
        for (size_t start = 0; start < kids_.size(); ++start) {
            if (depth[start] != 0) continue;
            walk.push_back({static_cast<int>(start), 0});
            depth[start] = -1;
            while (!walk.empty()) {
                auto& [v, next] = walk.back();
                const auto& ks = kids_[static_cast<size_t>(v)];
                if (next < ks.size()) {
                    const int k = ks[next++];
                    if (depth[static_cast<size_t>(k)] == -1) fail(0, "the values it builds contain a reference cycle");
                    if (depth[static_cast<size_t>(k)] == 0) {
                        depth[static_cast<size_t>(k)] = -1;
                        walk.push_back({k, 0});
                    }
                    continue;
                }
                int d = 1;
                for (int k : ks) d = std::max(d, depth[static_cast<size_t>(k)] + 1);
                if (d > max_depth)
                    fail(0, "the values it builds nest more than " + std::to_string(max_depth) +
                                " levels deep (a state dict nests a few)");
                depth[static_cast<size_t>(v)] = d;
                walk.pop_back();
            }
        }
        return root >= 0 ? depth[static_cast<size_t>(root)] : 0;
    }

    const unsigned char* d_;
    size_t n_;
    const std::string& what_;
    size_t pos_ = 0;
    size_t op_at_ = 0;
    std::vector<std::vector<int>> kids_;
    std::vector<int> stack_;
    std::vector<size_t> marks_;
    std::vector<int> memo_;
};

}  // namespace

PickleSummary check_pickle(const unsigned char* data, size_t size, const std::string& what, int max_depth) {
    return Walker(data, size, what).run(max_depth);
}

}  // namespace xs::xsam
