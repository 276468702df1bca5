// The dump parser (import/dump_parser): every era of ggml_backend_sched_print_assignments, log
// prefixes, CRLF, fragments, elisions; every line it cannot use reported with its number.
#include <gtest/gtest.h>

#include "import/dump_parser.hpp"
#include "import/tensor_names.hpp"

namespace schedcheck::import {
namespace {

// ggml-head's format (use= and c=, ggml_op_desc names).
constexpr const char* kHead =
    "\n## SPLIT #0: CPU # 0 inputs\n"
    "node #  0 (  GET_ROWS):                  t12 (   4K) [  CPU         ] use=2,c=1:              "
    "     "
    "t0 ( 128K) [  CPU         ]                   t8 (   0K) [  CPU         ]\n"
    "\n## SPLIT #1: CUDA0 # 2 inputs: [t12 (   4K)] [inp_pos (   0K)] \n"
    "node #  1 (      SILU):                  t13 (   4K) [CUDA0         ] use=1,c=1:          "
    "CUDA0#t12#0 (   4K) [ NULL         ]\n"
    "node #  2 (   MUL_MAT):      k-0 (view) (perm (  12M) [CUDA0         ] use=1,c=1:             "
    "      "
    "t1 (  32K) [CUDA0         ]          CUDA0#t12#3 (   4K) [ NULL         ]\n";

TEST(DumpParser, ReadsGgmlHeadFormat) {
  const SchedDump d = parse_sched_dump(kHead);
  ASSERT_EQ(d.graphs.size(), 1u);
  EXPECT_TRUE(d.unused.empty());
  const DumpGraph& g = d.graphs[0];
  ASSERT_EQ(g.splits.size(), 2u);
  EXPECT_EQ(g.splits[0].backend, "CPU");
  EXPECT_EQ(g.splits[0].n_inputs, 0);
  const DumpSplit& s1 = g.splits[1];
  EXPECT_EQ(s1.backend, "CUDA0");
  ASSERT_EQ(s1.inputs.size(), 2u);
  EXPECT_EQ(s1.inputs[1].name, "inp_pos");
  EXPECT_EQ(s1.inputs[0].size.bytes, 4096u);
  ASSERT_EQ(s1.nodes.size(), 2u);
  EXPECT_EQ(s1.nodes[0].op, "SILU");
  EXPECT_EQ(s1.nodes[0].use_count, 1);
  EXPECT_EQ(s1.nodes[0].compute, 1);
  ASSERT_EQ(s1.nodes[0].sources.size(), 1u);
  EXPECT_EQ(s1.nodes[0].sources[0].name, "CUDA0#t12#0");
  EXPECT_EQ(s1.nodes[0].sources[0].backend, "NULL");
  // A name with parentheses, cut at 20 characters.
  EXPECT_EQ(s1.nodes[1].self.name, "k-0 (view) (perm");
  EXPECT_EQ(s1.nodes[1].self.size.bytes, 12u << 20);
  EXPECT_EQ(d.max_copy_index, 3);
}

TEST(DumpParser, ReadsTheEarlyFormatsWithoutUseFieldsAndWithNarrowColumns) {
  // 2024 (DEBUG_PASS, then the first GGML_SCHED_DEBUG): no use=; late 2023: "%4.4s" columns.
  const SchedDump d = parse_sched_dump(
      "PASS 4 ASSIGNMENTS\n"
      "## SPLIT #1: CUDA0 # 2 inputs: [ffn_out-30 (  48K)] [inp_pos (   0K)]\n"
      "node #1023 (       ADD):             l_out-30 (  48K) [CUDA0         ]:     "
      "CUDA0#ffn_out-30 (  48K) [CUDA0         ]\n"
      "node #1024 (  RMS_NORM):              norm-31 ( 48K) [CUDA         ]:             l_out-30 "
      "( 48K) "
      "[CUDA         ]\n");
  ASSERT_EQ(d.graphs.size(), 1u);
  EXPECT_TRUE(d.unused.empty()) << d.unused.front().reason;
  EXPECT_TRUE(d.has_debug_pass_headers);
  const DumpSplit& s = d.graphs[0].splits[0];
  ASSERT_EQ(s.nodes.size(), 2u);
  EXPECT_FALSE(s.nodes[0].use_count.has_value());
  EXPECT_EQ(s.nodes[1].sources[0].name, "l_out-30");
  EXPECT_EQ(s.nodes[0].index, 1023);
}

TEST(DumpParser, TakesLogPrefixesOutOfAndBetweenPieces) {
  // llama.cpp's logger prefixes each GGML_LOG_DEBUG call, so the prefix lands inside lines; the
  // paste's first line has it only inside.
  const SchedDump d = parse_sched_dump(
      "## SPLIT #0: CPU # 0 inputs0.01.244.604 D \n"
      "0.01.244.604 D node #  0 (  GET_ROWS):                 embd (  16K) [  CPU         ] "
      "use=1,c=1:0.01.244.605 D     token_embd.weight ( 259M) [  CPU         ]0.01.244.605 D       "
      "     "
      "inp_tokens (   0K) [  CPU         ]0.01.244.605 D \n"
      "0.01.781.555 D \n"
      "## SPLIT #1: CUDA0 # 2 inputs0.01.781.555 D : 0.01.781.555 D [embd (  16K)] 0.01.781.556 D "
      "[inp_pos (   0K)] 0.01.781.556 D \n");
  EXPECT_TRUE(d.unused.empty()) << d.unused.front().reason;
  ASSERT_EQ(d.graphs.size(), 1u);
  const auto& splits = d.graphs[0].splits;
  ASSERT_EQ(splits.size(), 2u);
  ASSERT_EQ(splits[0].nodes.size(), 1u);
  ASSERT_EQ(splits[0].nodes[0].sources.size(), 2u);
  EXPECT_EQ(splits[0].nodes[0].sources[1].name, "inp_tokens");
  ASSERT_EQ(splits[1].inputs.size(), 2u);
  EXPECT_EQ(splits[1].inputs[1].name, "inp_pos");
  ASSERT_FALSE(d.notes.empty());
  EXPECT_NE(d.notes.back().find("0.01.244.604 D"), std::string::npos);
}

TEST(DumpParser, JoinsPiecesALoggerPutOnLinesOfTheirOwn) {
  // A logger that ends every call with a newline, CRLF line ends, trailing blanks.
  const SchedDump d = parse_sched_dump(
      "[ggml] ## SPLIT #0: Vulkan0 # 2 inputs\r\n"
      "[ggml] : \r\n"
      "[ggml] [inp_embd (  16K)] \r\n"
      "[ggml] [KQ_mask (   1K)]   \r\n"
      "[ggml] node #  1 (   MUL_MAT):                  t13 (   4K) [Vulka         ] use=1,c=1:\r\n"
      "[ggml]  Vulkan0#inp_embd#0 (  16K) [ NULL         ]\r\n");
  EXPECT_TRUE(d.unused.empty()) << d.unused.front().reason;
  const DumpSplit& s = d.graphs.at(0).splits.at(0);
  EXPECT_EQ(s.inputs.size(), 2u);
  ASSERT_EQ(s.nodes.size(), 1u);
  ASSERT_EQ(s.nodes[0].sources.size(), 1u);
  EXPECT_EQ(s.nodes[0].sources[0].name, "Vulkan0#inp_embd#0");
  bool crlf = false;
  for (const auto& n : d.notes) crlf |= n.find("CRLF") != std::string::npos;
  EXPECT_TRUE(crlf);
}

TEST(DumpParser, ReportsEveryLineItCannotUseWithItsNumber) {
  const SchedDump d = parse_sched_dump(
      "llama_context: n_ctx = 4096\n"
      "llama_context: pipeline parallelism enabled (n_copies=4)\n"
      "## SPLIT #0: CUDA0 # 1 inputs: [a (  1K)] garbage\n"
      "## SPLIT #1: CUDA1 # 1 inputs: [x (  1K)] ... \n"
      "node #  3 (ADD): this is not a node line\n"
      "...\n"
      "some other output\n"
      "more output\n");
  ASSERT_EQ(d.unused.size(), 4u);
  EXPECT_EQ(d.unused[0].first, 1);
  EXPECT_EQ(d.unused[1].first, 3);
  EXPECT_NE(d.unused[1].reason.find("garbage"), std::string::npos);
  EXPECT_EQ(d.unused[2].first, 5);
  EXPECT_EQ(d.unused[3].first, 7);
  EXPECT_EQ(d.unused[3].last, 8);  // consecutive lines of one reason are one range
  EXPECT_EQ(d.facts.n_copies, 4);
  ASSERT_EQ(d.graphs.size(), 1u);
  EXPECT_TRUE(d.graphs[0].splits[0].inputs_elided);
}

TEST(DumpParser, SplitsSeveralPrintoutsAndReadsFragments) {
  const SchedDump d = parse_sched_dump(
      "node # 40 (       ADD):                l_out (  16K) [CUDA1         ]:   ffn_out (  16K) "
      "[CUDA1 ]\n"
      "## SPLIT #3: CPU # 1 inputs: [l_out (  16K)]\n"
      "## SPLIT #0: CUDA0 # 0 inputs\n"
      "## SPLIT #1: CUDA1 # 0 inputs\n"
      "## SPLIT #0: CUDA0 # 0 inputs\n");
  ASSERT_EQ(d.graphs.size(), 3u);
  // The first starts inside a split: its backend is the one its node lines print.
  EXPECT_TRUE(d.graphs[0].splits[0].header_missing);
  EXPECT_EQ(d.graphs[0].splits[0].backend, "CUDA1");
  EXPECT_EQ(d.graphs[1].splits.size(), 2u);
}

TEST(DumpParser, SizesAsFmtSizePrintsThem) {
  DumpSize s;
  ASSERT_TRUE(parse_dump_size("  16K", s));
  EXPECT_EQ(s.bytes, 16u * 1024);
  ASSERT_TRUE(parse_dump_size("250M", s));
  EXPECT_EQ(s.bytes, 250u << 20);
  ASSERT_TRUE(parse_dump_size("12345", s));  // "12345M" cut to five characters
  EXPECT_EQ(s.bytes, uint64_t{12345} << 20);
  EXPECT_FALSE(parse_dump_size("12G", s));
  EXPECT_FALSE(parse_dump_size("view", s));
}

TEST(TensorNames, CopiesViewsAndCutNames) {
  const auto c = parse_copy_name("CUDA1#inp_embd#2");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->backend, "CUDA1");
  EXPECT_EQ(c->base, "inp_embd");
  EXPECT_EQ(c->index, 2);
  const auto cut = parse_copy_name("CUDA0#blk.0.attn_nor");
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->index, -1);
  EXPECT_FALSE(parse_copy_name(" (view)#x"));
  EXPECT_EQ(view_base("k-0 (view) (permuted)"), "k-0");
  EXPECT_EQ(view_base("cache_k_l0 (vi"), "cache_k_l0");
  EXPECT_EQ(view_base("v (copy of Vcur-0)"), "v");
  EXPECT_EQ(view_base("f(x) (a)"), "f(x) (a)");
  EXPECT_TRUE(printed_as("blk.31.attn_norm.wei", "blk.31.attn_norm.weight"));
  EXPECT_FALSE(printed_as("norm-31", "norm-310"));
}

}  // namespace
}  // namespace schedcheck::import
