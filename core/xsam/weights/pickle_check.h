#pragma once
// A structural check of a Python pickle (protocols 0-5), without LibTorch, run on a torch.save
// archive's data.pkl before LibTorch's unpickler sees it. LibTorch 1.13's unpickler trusts the
// numbers in the stream: a memo index of 0x71741471 in LONG_BINPUT makes it resize its memo table to
// 30 GB, and a 4- or 8-byte string length is allocated before it is read. This walk rejects, with an
// xs::Error naming the file and the byte offset:
//   - an unknown opcode, a truncated argument, a length or text line running past the end;
//   - a memo index larger than the number of memo entries so far (pickle assigns them in order);
//   - a read of an undefined memo entry, a pop from an empty stack or past a MARK, no STOP;
//   - an object graph nested more than max_depth levels (destroying a 100000-deep nest of tuples
//     recurses through the C++ stack) or holding a reference cycle (a state dict has neither).
// It does not evaluate anything: which globals and objects are allowed stays LibTorch's decision.
#include <cstddef>
#include <string>

namespace xs::xsam {

struct PickleSummary {
    size_t opcodes = 0;
    size_t objects = 0;    // values created
    size_t memo_size = 0;
    int depth = 0;         // nesting depth of the returned value (a scalar is 1)
    int protocol = 0;      // from PROTO, 0 when absent
};

PickleSummary check_pickle(const unsigned char* data, size_t size, const std::string& what, int max_depth = 64);

}  // namespace xs::xsam
