/*
 * budget_read.c: the static stack analysis's text inputs. GCC's -fstack-usage file (X.su: one
 * `file:line:col:name<TAB>bytes<TAB>static|dynamic|dynamic,bounded` a function) and its
 * -fcallgraph-info=su,da file (X.ci: a VCG graph, `node:` per function with the same location,
 * name and frame in its label, `edge:` per call, `__indirect_call` for calls through pointers),
 * read as a pair and checked against each other; the edge-list form of the ELF's part (unit
 * tests); the declared table. Every message names the file and the line.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "budget_int.h"
#include "klayout.h"

#define BG_FILE_MAX (16u << 20)  /* far above any .su or .ci; a bound on what is read */
#define BG_DIR_DEPTH 16

/* The next line of text: [*at, end of line), *at moved past it; 0 at the end. */
static int next_line(const char *text, size_t len, size_t *at, const char **line, size_t *n)
{
	if (*at >= len)
		return 0;
	const char *p = text + *at, *nl = memchr(p, '\n', len - *at);
	*line = p;
	*n = nl ? (size_t)(nl - p) : len - *at;
	*at += *n + 1;
	if (*n && p[*n - 1] == '\r')
		(*n)--;
	return 1;
}

/* ---- .su ----------------------------------------------------------------------------------- */
struct su_entry {
	char key[2 * BG_NAME];  /* "file:line:col:name" */
	uint64_t bytes;
	int dynamic;
	int used, line;
};

static int su_lines(const char *path, const char *text, size_t len, struct su_entry **out, size_t *count);

/* The .su's lines: 0 with them in *out (free it), or -1 after a message (nothing to free). */
static int su_parse(const char *path, const char *text, size_t len, struct su_entry **out, size_t *count)
{
	if (su_lines(path, text, len, out, count) == 0)
		return 0;
	free(*out);
	*out = NULL;
	return -1;
}

static int su_lines(const char *path, const char *text, size_t len, struct su_entry **out, size_t *count)
{
	size_t at = 0, n, cap = 0;
	const char *l;
	int lineno = 0;
	*out = NULL;
	*count = 0;
	while (next_line(text, len, &at, &l, &n)) {
		lineno++;
		if (n == 0)
			continue;
		const char *t1 = memchr(l, '\t', n), *t2 = t1 ? memchr(t1 + 1, '\t', n - (size_t)(t1 + 1 - l)) : NULL;
		if (!t1 || !t2 || t1 == l || (size_t)(t1 - l) >= 2 * BG_NAME)
			return fail(path, "line %d: not a stack usage line (LOCATION:NAME<TAB>BYTES<TAB>QUALIFIER)", lineno);
		char num[24], qual[24];
		size_t nl = (size_t)(t2 - t1 - 1), ql = n - (size_t)(t2 + 1 - l);
		if (nl == 0 || nl >= sizeof num || ql >= sizeof qual)
			return fail(path, "line %d: not a stack usage line (LOCATION:NAME<TAB>BYTES<TAB>QUALIFIER)", lineno);
		memcpy(num, t1 + 1, nl);
		num[nl] = 0;
		memcpy(qual, t2 + 1, ql);
		qual[ql] = 0;
		char *end;
		errno = 0;
		uint64_t bytes = strtoull(num, &end, 10);
		if (*end || errno || num[0] == '-')
			return fail(path, "line %d: frame size '%s' is not a number", lineno, num);
		int dynamic = strcmp(qual, "dynamic") == 0;
		if (!dynamic && strcmp(qual, "static") != 0 && strcmp(qual, "dynamic,bounded") != 0)
			return fail(path, "line %d: qualifier '%s' is none of static, dynamic, dynamic,bounded", lineno, qual);
		if (*count == cap) {
			cap = cap ? 2 * cap : 64;
			struct su_entry *m = realloc(*out, cap * sizeof *m);
			if (!m)
				return fail(path, "out of memory");
			*out = m;
		}
		struct su_entry *s = &(*out)[(*count)++];
		memset(s, 0, sizeof *s);
		memcpy(s->key, l, (size_t)(t1 - l));
		s->bytes = bytes;
		s->dynamic = dynamic;
		s->line = lineno;
	}
	return 0;
}

/* ---- .ci ------------------------------------------------------------------------------------ */

/* After `word: "` in l: the quoted string, escapes kept as written; 0, or -1 when absent. */
static int ci_field(const char *l, size_t n, const char *word, char *out, size_t outlen)
{
	char pat[24];
	snprintf(pat, sizeof pat, "%s: \"", word);
	size_t pl = strlen(pat), o = 0;
	const char *at = memmem(l, n, pat, pl);
	if (!at)
		return -1;
	for (size_t j = (size_t)(at - l) + pl; j < n; j++) {
		if (l[j] == '"') {
			out[o] = 0;
			return 0;
		}
		if (l[j] == '\\' && j + 1 < n && o + 2 < outlen)
			out[o++] = l[j++];
		if (o + 1 >= outlen)
			return -1;
		out[o++] = l[j];
	}
	return -1;
}

static int starts(const char *l, size_t n, const char *word)
{
	size_t w = strlen(word);
	return n >= w && memcmp(l, word, w) == 0;
}

/* A label's lines, split at its literal "\n" escapes: up to max parts. */
static int label_parts(char *label, char **part, int max)
{
	int n = 0;
	char *p = label;
	while (n < max) {
		part[n++] = p;
		char *esc = strstr(p, "\\n");
		if (!esc)
			break;
		*esc = 0;
		p = esc + 2;
	}
	return n;
}

/* The function a .ci title names: "CU:name" is CU's own (static), a bare name is global. */
static int ci_function(struct bg_graph *g, const char *cu, const char *title)
{
	size_t cl = strlen(cu);
	const char *name = strncmp(title, cu, cl) == 0 && title[cl] == ':' ? title + cl + 1 : title;
	return bg_func_get(g, title, name);
}

int bg_read_unit(struct bg_graph *g, const char *su_path, const char *su, size_t su_len,
		 const char *ci_path, const char *ci, size_t ci_len)
{
	struct su_entry *se;
	size_t nse, at = 0, n;
	const char *l;
	char cu[BG_NAME] = "", title[BG_NAME], target[BG_NAME], label[2 * BG_NAME];
	int lineno = 0, closed = 0, rc = -1;

	if (su_parse(su_path, su, su_len, &se, &nse) != 0)
		return -1;
	while (next_line(ci, ci_len, &at, &l, &n)) {
		lineno++;
		if (n == 0)
			continue;
		if (closed) {
			fail(ci_path, "line %d: text after the graph's closing brace", lineno);
			goto out;
		}
		if (lineno == 1 || !cu[0]) {
			if (!starts(l, n, "graph: {") || ci_field(l, n, "title", cu, sizeof cu) != 0 || !cu[0]) {
				fail(ci_path, "line %d: not a call graph (expected `graph: { title: \"FILE\"`)", lineno);
				goto out;
			}
		} else if (n == 1 && l[0] == '}') {
			closed = 1;
		} else if (starts(l, n, "node: {")) {
			if (ci_field(l, n, "title", title, sizeof title) != 0 ||
			    ci_field(l, n, "label", label, sizeof label) != 0) {
				fail(ci_path, "line %d: a node without a title and a label", lineno);
				goto out;
			}
			if (strcmp(title, "__indirect_call") == 0)
				continue;   /* the placeholder the edges to it stand for */
			char *part[4];
			int parts = label_parts(label, part, 4);
			uint64_t bytes;
			char qual[24];
			int f = ci_function(g, cu, title);
			if (f < 0)
				goto out;
			if (parts < 3 || sscanf(part[2], "%" SCNu64 " bytes (%23[^)])", &bytes, qual) != 2)
				continue;   /* declared here, defined elsewhere (or built in) */
			/* A function this object defines: its .su line has the same location and name. */
			char key[2 * BG_NAME + 2];
			snprintf(key, sizeof key, "%s:%s", part[1], part[0]);
			struct su_entry *s = NULL;
			for (size_t i = 0; i < nse && !s; i++)
				if (!se[i].used && strcmp(se[i].key, key) == 0)
					s = &se[i];
			if (!s) {
				fail(ci_path, "line %d: '%s' has no line in '%s'", lineno, key, su_path);
				goto out;
			}
			s->used = 1;
			if (s->bytes != bytes) {
				fail(ci_path, "line %d: '%s' has a %" PRIu64 "-byte frame, '%s' says %" PRIu64,
				     lineno, key, bytes, su_path, s->bytes);
				goto out;
			}
			struct bg_func *fn = (struct bg_func *)bg_func(g, f);
			fn->frame = s->bytes;
			fn->dynamic = s->dynamic;
			fn->frame_from = BG_FRAME_SU;
			bg_site(fn->where, sizeof fn->where, part[1], fn->file, sizeof fn->file, &fn->line);
		} else if (starts(l, n, "edge: {")) {
			if (ci_field(l, n, "sourcename", title, sizeof title) != 0 ||
			    ci_field(l, n, "targetname", target, sizeof target) != 0) {
				fail(ci_path, "line %d: an edge without a source and a target", lineno);
				goto out;
			}
			struct bg_edge e = { .to = -1, .kind = BG_INDIRECT, .origin = BG_FROM_CI };
			if (ci_field(l, n, "label", label, sizeof label) == 0)
				bg_site(e.site, sizeof e.site, label, NULL, 0, NULL);
			if ((e.from = ci_function(g, cu, title)) < 0)
				goto out;
			if (strcmp(target, "__indirect_call") != 0) {
				if ((e.to = ci_function(g, cu, target)) < 0)
					goto out;
				e.kind = BG_CALL;
			}
			if (bg_edge_add(g, &e) < 0)
				goto out;
		} else {
			fail(ci_path, "line %d: not a call graph line (graph, node, edge or '}')", lineno);
			goto out;
		}
	}
	if (!cu[0] || !closed) {
		fail(ci_path, "%s", !cu[0] ? "empty: not a call graph" : "truncated: the graph is not closed");
		goto out;
	}
	for (size_t i = 0; i < nse; i++)
		if (!se[i].used) {
			fail(su_path, "line %d: '%s' is in no node of '%s'", se[i].line, se[i].key, ci_path);
			goto out;
		}
	rc = 0;
out:
	free(se);
	return rc;
}

/* ---- files and directories ------------------------------------------------------------------ */

/* A whole regular file, read-only: 0 with a malloc'd buffer, or -1 after a message. */
static int slurp(const char *path, char **text, size_t *len)
{
	int fd;
	struct stat st;
	*text = NULL;
	if (input_open(path, &fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int rc = -1;
	if ((uint64_t)st.st_size > BG_FILE_MAX) {
		fail(path, "too large for a compiler's stack file (%lld bytes)", (long long)st.st_size);
		goto out;
	}
	*text = malloc((size_t)st.st_size + 1);
	if (!*text) {
		fail(path, "out of memory");
		goto out;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = pread(fd, *text + got, (size_t)st.st_size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fail(path, "cannot read: %s", r < 0 ? strerror(errno) : "the file shrank");
			goto out;
		}
		got += (size_t)r;
	}
	if (memchr(*text, 0, got)) {
		fail(path, "binary data (a NUL byte): not a text file");
		goto out;
	}
	(*text)[got] = 0;
	*len = got;
	rc = 0;
out:
	close(fd);
	if (rc) {
		free(*text);
		*text = NULL;
	}
	return rc;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int read_pair(struct bg_graph *g, const char *ci_path)
{
	char su_path[4096];
	char *su = NULL, *ci = NULL;
	size_t su_len = 0, ci_len = 0;
	snprintf(su_path, sizeof su_path, "%.*s.su", (int)(strlen(ci_path) - 3), ci_path);
	if (access(su_path, F_OK) != 0)
		return fail(ci_path, "no '%s' beside it (the build writes both: -fstack-usage "
			    "-fcallgraph-info=su,da)", su_path);
	int rc = slurp(su_path, &su, &su_len) == 0 && slurp(ci_path, &ci, &ci_len) == 0 &&
			 bg_read_unit(g, su_path, su, su_len, ci_path, ci, ci_len) == 0 ? 0 : -1;
	free(su);
	free(ci);
	return rc;
}

static int read_tree(struct bg_graph *g, const char *dir, int depth, size_t *pairs)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), rc = 0;
	if (n < 0)
		return fail(dir, "cannot read the directory: %s", strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char path[4096];
		struct stat st;
		if (rc == 0 && name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", dir, name);
			if (lstat(path, &st) != 0) {
				rc = fail(path, "cannot stat: %s", strerror(errno));
			} else if (S_ISDIR(st.st_mode) && depth < BG_DIR_DEPTH) {
				rc = read_tree(g, path, depth + 1, pairs);
			} else if (ends_with(name, ".ci")) {
				rc = read_pair(g, path);
				(*pairs)++;
			} else if (ends_with(name, ".su")) {
				snprintf(path + strlen(path) - 3, 4, ".ci");
				if (access(path, F_OK) != 0) {
					snprintf(path + strlen(path) - 3, 4, ".su");
					rc = fail(path, "no .ci beside it (the build writes both: -fstack-usage "
						  "-fcallgraph-info=su,da)");
				}
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int bg_read_dir(struct bg_graph *g, const char *dir)
{
	size_t pairs = 0;
	struct stat st;
	if (stat(dir, &st) != 0)
		return fail(dir, "cannot open: %s", strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(dir, "not a directory (the kernel's objects, with their .su and .ci files)");
	if (read_tree(g, dir, 0, &pairs) != 0)
		return -1;
	if (pairs == 0)
		return fail(dir, "no .su and .ci files: build the kernel with -fstack-usage "
			    "-fcallgraph-info=su,da");
	return 0;
}

/* ---- words ------------------------------------------------------------------------------------ */
#define WORDS_MAX 48

/* Splits a line into words at blanks, up to '#': the count, or -1 when too many. */
static int words(const char *l, size_t n, char buf[][BG_NAME], int max)
{
	int count = 0;
	size_t i = 0;
	while (i < n && l[i] != '#') {
		while (i < n && (l[i] == ' ' || l[i] == '\t'))
			i++;
		if (i == n || l[i] == '#')
			break;
		size_t s = i;
		while (i < n && l[i] != ' ' && l[i] != '\t' && l[i] != '#')
			i++;
		if (count == max || i - s >= BG_NAME)
			return -1;
		memcpy(buf[count], l + s, i - s);
		buf[count++][i - s] = 0;
	}
	return count;
}

static int number(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return *s && !*end && !errno && *s != '-' ? 0 : -1;
}

/* ---- edge lists ------------------------------------------------------------------------------ */

static int edge_func(struct bg_graph *g, const char *key)
{
	const char *colon = strrchr(key, ':');
	return bg_func_get(g, key, colon ? colon + 1 : key);
}

int bg_read_edges(struct bg_graph *g, const char *path, const char *text, size_t len)
{
	char w[WORDS_MAX][BG_NAME];
	size_t at = 0, n;
	const char *l;
	int lineno = 0;
	while (next_line(text, len, &at, &l, &n)) {
		int nw = words(l, n, w, WORDS_MAX);
		lineno++;
		if (nw == 0)
			continue;
		if (nw < 0)
			return fail(path, "line %d: too many or too long words", lineno);
		/* `at SITE` ends any line. */
		const char *site = nw >= 2 && strcmp(w[nw - 2], "at") == 0 ? w[nw - 1] : NULL;
		int body = site ? nw - 2 : nw;
		uint64_t v, size;
		if (strcmp(w[0], "func") == 0 && body >= 3) {
			int f = edge_func(g, w[1]);
			if (f < 0)
				return -1;
			struct bg_func *fn = (struct bg_func *)bg_func(g, f);
			int i = 3;
			if (strcmp(w[2], "dynamic") == 0)
				fn->dynamic = 1, fn->frame_from = BG_FRAME_SU;
			else if (strcmp(w[2], "-") != 0 && number(w[2], &v) == 0)
				fn->has_decoded = 1, fn->decoded = v;
			else if (strcmp(w[2], "-") != 0)
				return fail(path, "line %d: frame '%s' is not a number, 'dynamic' or '-'", lineno, w[2]);
			for (; i < body; i++) {
				if (strcmp(w[i], "asm") == 0) {
					fn->is_asm = 1;
				} else if (strcmp(w[i], "addr") == 0 && i + 2 < body && number(w[i + 1], &v) == 0 &&
					   number(w[i + 2], &size) == 0) {
					fn->in_elf = 1, fn->addr = v, fn->size = size;
					i += 2;
				} else {
					return fail(path, "line %d: unknown word '%s'", lineno, w[i]);
				}
			}
			if (site)
				bg_site(fn->where, sizeof fn->where, site, fn->file, sizeof fn->file, &fn->line);
			continue;
		}
		struct bg_edge e = { .origin = BG_FROM_ELF, .depth_known = 1 };
		int ok = 0;
		if ((strcmp(w[0], "call") == 0 || strcmp(w[0], "tail") == 0) && body == 4 && number(w[3], &e.depth) == 0) {
			e.kind = w[0][0] == 'c' ? BG_CALL : BG_TAIL;
			ok = (e.from = edge_func(g, w[1])) >= 0 && (e.to = edge_func(g, w[2])) >= 0;
		} else if (strcmp(w[0], "icall") == 0 && body == 3 && number(w[2], &e.depth) == 0) {
			e.kind = BG_INDIRECT;
			e.to = -1;
			ok = (e.from = edge_func(g, w[1])) >= 0;
		} else if (strcmp(w[0], "switch") == 0 && body == 3) {
			e.kind = BG_SWITCH;
			ok = (e.from = edge_func(g, w[1])) >= 0 && (e.to = edge_func(g, w[2])) >= 0;
			if (ok) {
				struct bg_func *from = (struct bg_func *)bg_func(g, e.from);
				struct bg_func *seg = (struct bg_func *)bg_func(g, e.to);
				from->has_switch = 1;
				seg->parent = e.from;
				seg->segment = 1;
				for (size_t i = 0; i < bg_nfuncs(g); i++)
					if (bg_func(g, (int)i)->parent == e.from && (int)i != e.to)
						seg->segment++;
				seg->is_asm = from->is_asm;
				if (!seg->has_decoded)
					seg->has_decoded = 1;
			}
		} else {
			return fail(path, "line %d: not a func, call, tail, icall or switch line", lineno);
		}
		if (!ok)
			return -1;
		if (site)
			snprintf(e.site, sizeof e.site, "%s", site);
		if (bg_edge_add(g, &e) < 0)
			return -1;
	}
	return 0;
}

/* ---- the declared table --------------------------------------------------------------------- */

static int decl_error(struct bg_graph *g, int line, const char *msg, const char *word)
{
	return fail(g->decl_path, "%s%sline %d: %s%s%s%s", g->decl_section, *g->decl_section ? " " : "",
		    line, msg, word ? " '" : "", word ? word : "", word ? "'" : "");
}

static int decl_stack(struct bg_graph *g, char w[][BG_NAME], int nw, int line)
{
	if (g->nds == BG_DECL_STACKS)
		return decl_error(g, line, "too many stacks", NULL);
	struct bg_decl_stack *d = &g->ds[g->nds];
	memset(d, 0, sizeof *d);
	if (nw < 2 || strlen(w[1]) >= sizeof d->name)
		return decl_error(g, line, "stack needs a NAME", NULL);
	snprintf(d->name, sizeof d->name, "%s", w[1]);
	d->line = line;
	int have_size = 0;
	for (int i = 2; i < nw; i++) {
		const char *k = w[i];
		if (strcmp(k, "size") == 0 && i + 1 < nw && number(w[i + 1], &d->bytes) == 0) {
			d->size_from = BG_SIZE_BYTES, have_size++, i++;
		} else if (strcmp(k, "symbols") == 0 && i + 2 < nw) {
			d->size_from = BG_SIZE_SYMBOLS, have_size++;
			snprintf(d->sym_lo, sizeof d->sym_lo, "%s", w[i + 1]);
			snprintf(d->sym_hi, sizeof d->sym_hi, "%s", w[i + 2]);
			i += 2;
		} else if (strcmp(k, "record") == 0 && i + 1 < nw &&
			   (strcmp(w[i + 1], "kernel") == 0 || strcmp(w[i + 1], "task") == 0)) {
			d->size_from = w[i + 1][0] == 'k' ? BG_SIZE_KERNEL : BG_SIZE_TASK, have_size++, i++;
		} else if (strcmp(k, "entry") == 0 && i + 1 < nw) {
			if (d->nentries == BG_ENTRIES)
				return decl_error(g, line, "too many entries", NULL);
			snprintf(d->entry[d->nentries++], BG_NAME, "%s", w[++i]);
		} else if (strcmp(k, "recursion") == 0 && i + 2 < nw && d->bound_from == BG_BOUND_NONE) {
			snprintf(d->recursion, sizeof d->recursion, "%s", w[i + 1]);
			if (strcmp(w[i + 2], "depth") == 0)
				d->bound_from = BG_BOUND_DEPTH;
			else if (number(w[i + 2], &d->bound) == 0)
				d->bound_from = BG_BOUND_NUMBER;
			else
				return decl_error(g, line, "recursion bound is neither a number nor `depth`:", w[i + 2]);
			i += 2;
		} else if (strcmp(k, "code") == 0 && i + 2 < nw && !d->has_code) {
			d->has_code = 1;
			snprintf(d->code_lo, sizeof d->code_lo, "%s", w[i + 1]);
			snprintf(d->code_hi, sizeof d->code_hi, "%s", w[i + 2]);
			i += 2;
		} else {
			return decl_error(g, line, "stack: unknown or incomplete clause", k);
		}
	}
	if (have_size != 1)
		return decl_error(g, line, "stack needs one of: size BYTES, symbols LO HI, record kernel, "
				  "record task", NULL);
	if (d->nentries == 0)
		return decl_error(g, line, "stack needs an `entry FUNCTION`", NULL);
	if (d->bound_from == BG_BOUND_DEPTH && d->size_from != BG_SIZE_TASK)
		return decl_error(g, line, "a `depth` bound needs `record task` (the depth is the task's)", NULL);
	for (size_t i = 0; i < g->nds; i++) {
		if (strcmp(g->ds[i].name, d->name) == 0)
			return decl_error(g, line, "a second stack named", d->name);
		if ((d->size_from == BG_SIZE_KERNEL || d->size_from == BG_SIZE_TASK) &&
		    g->ds[i].size_from == d->size_from)
			return decl_error(g, line, "a second stack sized by", w[1]);
	}
	g->nds++;
	return 0;
}

static int decl_config(struct bg_graph *g, char w[][BG_NAME], int nw, int line)
{
	uint64_t size, depth;
	if (nw == 3 && strcmp(w[1], "kernel") == 0 && number(w[2], &size) == 0) {
		g->have_kernel_config = 1;
		g->kernel_config = size;
		return 0;
	}
	if (nw == 5 && strcmp(w[1], "task") == 0 && number(w[3], &size) == 0 && number(w[4], &depth) == 0 &&
	    strlen(w[2]) < sizeof g->ct[0].name) {
		if (g->nct == LR_MAX_TASKS)
			return decl_error(g, line, "more tasks than the record holds", NULL);
		struct bg_config_task *t = &g->ct[g->nct++];
		snprintf(t->name, sizeof t->name, "%s", w[2]);
		t->size = size;
		t->depth = depth;
		return 0;
	}
	return decl_error(g, line, "config needs `kernel SIZE` or `task NAME SIZE DEPTH`", NULL);
}

int bg_read_decl(struct bg_graph *g, const char *path, const char *section, const char *text,
		 size_t len)
{
	char w[WORDS_MAX][BG_NAME];
	size_t at = 0, n;
	const char *l;
	int lineno = 0;
	snprintf(g->decl_path, sizeof g->decl_path, "%s", path);
	snprintf(g->decl_section, sizeof g->decl_section, "%s", section ? section : "");
	while (next_line(text, len, &at, &l, &n)) {
		int nw = words(l, n, w, WORDS_MAX);
		lineno++;
		if (nw == 0)
			continue;
		if (nw < 0)
			return decl_error(g, lineno, "too many or too long words", NULL);
		if (strcmp(w[0], "stack") == 0) {
			if (decl_stack(g, w, nw, lineno) != 0)
				return -1;
		} else if (strcmp(w[0], "calls") == 0) {
			if (nw < 3 || nw - 2 > BG_TARGETS)
				return decl_error(g, lineno, "calls needs a FUNCTION and 1-8 TARGETs", NULL);
			if (g->ndc == BG_DECL_CALLS)
				return decl_error(g, lineno, "too many calls lines", NULL);
			struct bg_decl_calls *c = &g->dc[g->ndc++];
			memset(c, 0, sizeof *c);
			c->line = lineno;
			snprintf(c->fn, sizeof c->fn, "%s", w[1]);
			for (int i = 2; i < nw; i++)
				snprintf(c->target[c->ntargets++], BG_NAME, "%s", w[i]);
		} else if (strcmp(w[0], "config") == 0) {
			if (decl_config(g, w, nw, lineno) != 0)
				return -1;
		} else {
			return decl_error(g, lineno, "unknown word", w[0]);
		}
	}
	return 0;
}
