/* test-json.c: msgpack replies as JSON (proto/json.c): rpnctl --json's and the API's bytes. */
#include "proto/json.h"
#include "proto/mp.h"
#include "tests/unit/test.h"

TEST(json_write_shapes)
{
	struct buf	 b, out;
	msgpack_packer	 pk;
	struct mp_doc	 d;
	const uint8_t	 bin[2] = { 0xab, 0x01 };
	const char	*want =
	    "{\n"
	    "  \"s\": \"a\\\"b\\\\c\\nd\\u0001\\u007f\",\n"
	    "  \"n\": -3,\n"
	    "  \"u\": 18446744073709551615,\n"
	    "  \"bin\": \"ab01\",\n"
	    "  \"empty\": [],\n"
	    "  \"list\": [\n"
	    "    true,\n"
	    "    null,\n"
	    "    {}\n"
	    "  ]\n"
	    "}\n";

	buf_init(&b, 4096);
	mp_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 7);
	mp_pack_str(&pk, "ok");
	msgpack_pack_true(&pk);
	mp_pack_str(&pk, "s");
	msgpack_pack_str_with_body(&pk, "a\"b\\c\nd\x01\x7f", 9);
	mp_pack_str(&pk, "n");
	msgpack_pack_int64(&pk, -3);
	mp_pack_str(&pk, "u");
	msgpack_pack_uint64(&pk, UINT64_MAX);
	mp_pack_str(&pk, "bin");
	msgpack_pack_bin_with_body(&pk, bin, sizeof(bin));
	mp_pack_str(&pk, "empty");
	msgpack_pack_array(&pk, 0);
	mp_pack_str(&pk, "list");
	msgpack_pack_array(&pk, 3);
	msgpack_pack_true(&pk);
	msgpack_pack_nil(&pk);
	msgpack_pack_map(&pk, 0);
	ASSERT_EQ(mp_parse(&d, b.p, b.len), 0);
	buf_init(&out, 4096);
	ASSERT_EQ(json_write(&out, &d.root, 1), 0);
	ASSERT_UEQ(out.len, strlen(want));
	ASSERT_MEM_EQ(out.p, want, out.len);
	/* with "ok" kept, it comes first */
	buf_reset(&out);
	ASSERT_EQ(json_write(&out, &d.root, 0), 0);
	ASSERT_MEM_EQ(out.p, "{\n  \"ok\": true,\n  \"s\"", 20);
	/* a buffer too small: -1, not a cut reply */
	buf_release(&out);
	buf_init(&out, 16);
	ASSERT_EQ(json_write(&out, &d.root, 1), -1);
	buf_release(&out);
	mp_doc_release(&d);
	buf_release(&b);
}
