/* Unit tests of app strings and the HTML meta-tag scanner. */
#include "test.h"

#include "ac/discovery.h"

DEFINE_TEST(test_app_parse)
{
	ac_error *err = NULL;
	struct ac_app a;
	check_ok(ac_app_parse("example.com/app:1.0,channel=alpha", &a, &err), err);
	check_str(a.name, "example.com/app");
	check_int(a.nlabels, ==, 2);
	check_str(ac_app_label(&a, "version"), "1.0");
	check_str(ac_app_label(&a, "channel"), "alpha");
	check(!ac_app_label(&a, "os"));
	ac_app_default_os_arch(&a);
	check_str(ac_app_label(&a, "os"), "linux");
	check(ac_app_label(&a, "arch") != NULL);
	ac_app_free(&a);

	check_err(ac_app_parse("a:b:c", &a, &err), err, "colon may appear at most once");
	check_err(ac_app_parse("a,b=1:2", &a, &err), err, "colon may appear only right after the app name");
	check_err(ac_app_parse("a,b", &a, &err), err, "has a label without a value: b");
	check_err(ac_app_parse("a,b=1,b=2", &a, &err), err, "label b with multiple values");
	check_err(ac_app_parse("A", &a, &err), err, "ACIdentifier");
	check_err(ac_app_parse("", &a, &err), err, "ACIdentifier");
	check_err(ac_app_parse("a,Bad=1", &a, &err), err, "label Bad");
}

static size_t scan(const char *html, struct ac_meta **m)
{
	return ac_html_find_meta(html, strlen(html), m, 100);
}

DEFINE_TEST(test_html_meta)
{
	struct ac_meta *m;
	size_t n = scan("<html><head>"
			"<!-- <meta name=\"ac-discovery\" content=\"c https://comment\"> -->"
			"<script>var s = '<meta name=\"ac-discovery\" content=\"s https://script\">';</script>"
			"<META NAME=ac-discovery CONTENT=\"a.com  https://x/{name}.{ext}?a=1&amp;b=2 \">"
			"<meta content='a.com https://k' name='ac-discovery-pubkeys'/>"
			"<meta name=\"other\" content=\"a.com https://no\">"
			"<meta name=\"ac-discovery\" content=\"nouri\">"
			"<meta name=\"ac-discovery\" content=\"a.com &#104;&#x74;tps://e\">"
			"<p>1 < 2</p><meta name=\"ac-discovery\" content=\"a.com https://unterminated",
			&m);
	check_int(n, ==, 4);
	if (n == 4) {
		check_str(m[0].name, "ac-discovery");
		check_str(m[0].prefix, "a.com");
		check_str(m[0].uri, "https://x/{name}.{ext}?a=1&b=2");
		check_str(m[1].name, "ac-discovery-pubkeys");
		check_str(m[1].uri, "https://k");
		check_str(m[2].uri, "https://e");
		check_str(m[3].uri, "https://unterminated");
	}
	ac_meta_free(m, n);

	/* garbage never crashes and the cap holds */
	char junk[4096];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = "<>\"'=&#;/ amet"[(i * 7 + i / 3) % 14];
	n = ac_html_find_meta(junk, sizeof(junk), &m, 100);
	ac_meta_free(m, n);
	ac_buf b = AC_BUF_INIT;
	for (int i = 0; i < 50; i++)
		ac_buf_addstr(&b, "<meta name=ac-discovery content=\"p https://u\">");
	n = ac_html_find_meta(b.buf, b.len, &m, 10);
	check_int(n, ==, 10);
	ac_meta_free(m, n);
	ac_buf_release(&b);
}
