/*
 * main.c: `inspector COMMAND [OPTION]... FILE`: options (getopt_long, one table, each command
 * accepting its subset) and the commands themselves, which open the inputs, run checks.c or
 * stacks.c and hand the results to one out_*.c format. Exit codes: see EXIT_* in inspector.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "inspector.h"

#define INSPECTOR_VERSION "1.0"

/* Options, as bits so each command can say which it takes. */
enum { OPT_ELF = 1, OPT_HEADROOM = 2, OPT_FORMAT = 4, OPT_BASE = 8, OPT_VERBOSE = 16, OPT_OUTPUT = 32,
       OPT_SU_DIR = 64, OPT_STACKS = 128, OPT_GRAPH = 256 };

struct command {
	const char *name;
	int (*run)(const struct options *o);
	unsigned accepts;      /* OPT_* */
	unsigned formats;      /* 1 << FORMAT_* accepted by --format */
	const char *args, *summary;
};

static const struct command *find_command(const char *name);
static const struct command commands[];

/* The options every command's help lists, in one place. */
static const struct {
	unsigned bit;
	const char *text;
} option_help[] = {
	{ OPT_ELF, "  -e, --elf=KERNEL.elf      also compare with the kernel ELF (build ID, regions, bytes)" },
	{ OPT_HEADROOM, "  -m, --min-headroom=PCT    stack.headroom: every stack keeps PCT% (0-100) unused" },
	{ OPT_FORMAT, "  -f, --format=FORMAT       output format:" }, /* then the command's formats */
	{ OPT_BASE, "  -b, --base=ADDR           physical address of a raw dump's first byte (default 0x80000000)" },
	{ OPT_VERBOSE, "  -v, --verbose             also one line per passing check" },
	{ OPT_OUTPUT, "  -o, --output=FILE         write the core here (required)" },
	{ OPT_SU_DIR, "  -d, --su-dir=DIR          the kernel objects' .su and .ci files (default: obj beside the ELF)" },
	{ OPT_STACKS, "  -t, --stacks=FILE         the stack table (default: the ELF's .klayout.budget section)" },
	{ OPT_GRAPH, "  -g, --graph               the call graph instead: functions, frames, edges and their origin" },
};

/* --format's values, indexed by enum format. */
static const char *const formats[] = { "text", "json", "junit", "svg", "html" };
#define NFORMATS (sizeof formats / sizeof formats[0])

static void usage_command(FILE *out, const struct command *c)
{
	fprintf(out, "Usage: inspector %s %s [OPTION]...\n%s\n\nOptions:\n", c->name, c->args, c->summary);
	for (size_t i = 0; i < sizeof option_help / sizeof option_help[0]; i++) {
		if (!(c->accepts & option_help[i].bit))
			continue;
		fputs(option_help[i].text, out);
		/* Only this command's formats: the line bash completion reads them from. */
		for (unsigned f = 0; option_help[i].bit == OPT_FORMAT && f < NFORMATS; f++)
			if (c->formats & (1u << f))
				fprintf(out, "%s %s%s", f ? "," : "", formats[f], f ? "" : " (default)");
		fputc('\n', out);
	}
	fputs("  -h, --help                this help\n", out);
}

static void usage(FILE *out)
{
	fputs("Usage: inspector COMMAND [OPTION]... FILE\n"
	      "Check a kernel memory dump (QEMU ELF core or raw RAM image) against its layout record.\n\n"
	      "Commands:\n", out);
	for (const struct command *c = commands; c->name; c++)
		fprintf(out, "  %-9s %s\n", c->name, c->summary);
	fputs("\nOptions:\n"
	      "  -h, --help      this help; `inspector COMMAND --help` for a command's options\n"
	      "  -V, --version   the version\n\n"
	      "Long options may be abbreviated to an unambiguous prefix.\n\n"
	      "Exit status: 0 all checks hold, 1 a violation, 2 the input could not be used\n"
	      "(on 2, --format json and junit still write a document saying why), 64 bad usage.\n"
	      "The dump's format (ELF core, sparse ELF core, raw) is read from its content.\n", out);
}

static int bad_usage(const struct command *c, const char *fmt, const char *arg)
{
	fputs("inspector: ", stderr);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'inspector %s%s--help' for more information.\n", c ? c->name : "", c ? " " : "");
	return EXIT_USAGE;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || *s == '-' ? -1 : 0;
}

/* "--min-headroom" for 'm': the long name, whichever spelling was typed; else what was typed. */
static const char *option_name(const struct option *table, int val, const char *typed)
{
	static char buf[40];
	for (; table->name; table++)
		if (table->val == val) {
			snprintf(buf, sizeof buf, "--%s", table->name);
			return buf;
		}
	return typed;
}

/* Fills o from argv (argv[0] is the command name); returns -1 when the command ran --help. */
static int parse_options(const struct command *c, int argc, char **argv, struct options *o, int *rc)
{
	static const struct option table[] = {
		{ "elf", required_argument, NULL, 'e' }, { "min-headroom", required_argument, NULL, 'm' },
		{ "format", required_argument, NULL, 'f' }, { "base", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
		{ "output", required_argument, NULL, 'o' }, { "su-dir", required_argument, NULL, 'd' },
		{ "stacks", required_argument, NULL, 't' }, { "graph", no_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int ch;

	memset(o, 0, sizeof *o);
	o->min_headroom = -1;
	o->base = RAM_BASE;
	optind = 1;
	opterr = 0;
	/* Leading ':': a missing value is reported as ':' with optopt, apart from an unknown option. */
	while ((ch = getopt_long(argc, argv, ":e:m:f:b:o:d:t:gvh", table, NULL)) != -1) {
		unsigned bit = ch == 'e' ? OPT_ELF : ch == 'm' ? OPT_HEADROOM : ch == 'f' ? OPT_FORMAT :
			       ch == 'b' ? OPT_BASE : ch == 'v' ? OPT_VERBOSE : ch == 'o' ? OPT_OUTPUT :
			       ch == 'd' ? OPT_SU_DIR : ch == 't' ? OPT_STACKS : ch == 'g' ? OPT_GRAPH : 0;
		if (ch == 'h') {
			usage_command(stdout, c);
			*rc = EXIT_HOLDS;
			return -1;
		}
		if (ch == ':') {
			*rc = bad_usage(c, "%s requires a value", option_name(table, optopt, argv[optind - 1]));
			return -1;
		}
		if (ch == '?') {
			*rc = bad_usage(c, "unknown option '%s'", argv[optind - 1]);
			return -1;
		}
		if (!(c->accepts & bit)) {
			*rc = bad_usage(c, "%s is not an option of this command",
					option_name(table, ch, argv[optind - 1]));
			return -1;
		}
		switch (ch) {
		case 'e': o->elf = optarg; break;
		case 'v': o->verbose = 1; break;
		case 'o': o->output = optarg; break;
		case 'd': o->su_dir = optarg; break;
		case 't': o->stacks = optarg; break;
		case 'g': o->graph = 1; break;
		case 'b':
			if (parse_u64(optarg, &o->base) != 0) {
				*rc = bad_usage(c, "--base: not an address: '%s'", optarg);
				return -1;
			}
			break;
		case 'm':
			if (parse_u64(optarg, &v) != 0 || v > 100) {
				*rc = bad_usage(c, "--min-headroom: not a percentage 0-100: '%s'", optarg);
				return -1;
			}
			o->min_headroom = (int)v;
			break;
		case 'f':
			for (v = 0; v < NFORMATS && strcmp(optarg, formats[v]) != 0; v++)
				;
			if (v == NFORMATS || !(c->formats & (1u << v))) {
				*rc = bad_usage(c, "--format: not a format of this command: '%s'", optarg);
				return -1;
			}
			o->format = (enum format)v;
			break;
		}
	}
	if (argc - optind != 1) {
		*rc = bad_usage(c, "%s", argc - optind ? "exactly one FILE expected" : "missing FILE");
		return -1;
	}
	o->file = argv[optind];
	if ((c->accepts & OPT_OUTPUT) && !o->output) {
		*rc = bad_usage(c, "%s", "missing --output=FILE");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	kl_set_program("inspector");
	if (argc < 2)
		return bad_usage(NULL, "%s", "missing COMMAND");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		return usage(stdout), EXIT_HOLDS;
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("inspector %s (layout record version %d, JSON schema klayout-inspector/3)\n",
		       INSPECTOR_VERSION, LR_VERSION);
		return EXIT_HOLDS;
	}
	const struct command *c = find_command(argv[1]);
	if (!c)
		return bad_usage(NULL, "unknown command '%s'", argv[1]);
	struct options o;
	int rc;
	if (parse_options(c, argc - 1, argv + 1, &o, &rc) != 0)
		return rc;
	rc = c->run(&o);
	if (fflush(stdout) != 0 || ferror(stdout))
		return fail(NULL, "cannot write the output"), EXIT_UNUSABLE;
	return rc;
}

static const struct command commands[] = {
	{ "check", cmd_check, OPT_ELF | OPT_HEADROOM | OPT_FORMAT | OPT_BASE | OPT_VERBOSE | OPT_SU_DIR | OPT_STACKS,
	  1u << FORMAT_TEXT | 1u << FORMAT_JSON | 1u << FORMAT_JUNIT, "DUMP",
	  "check every invariant of the layout record against the dump" },
	{ "diagram", cmd_diagram, OPT_ELF | OPT_BASE | OPT_FORMAT | OPT_SU_DIR | OPT_STACKS,
	  1u << FORMAT_TEXT | 1u << FORMAT_SVG | 1u << FORMAT_HTML, "DUMP",
	  "draw the design document's memory diagram with the dump's addresses" },
	{ "stacks", cmd_stacks, OPT_ELF | OPT_FORMAT | OPT_BASE | OPT_SU_DIR | OPT_STACKS, 1u << FORMAT_TEXT | 1u << FORMAT_JSON,
	  "DUMP", "one line per stack: bounds, sp, usage, high-water, static worst case, headroom, sentinel" },
	{ "budget", cmd_budget, OPT_FORMAT | OPT_SU_DIR | OPT_STACKS | OPT_GRAPH,
	  1u << FORMAT_TEXT | 1u << FORMAT_JSON, "KERNEL.elf",
	  "each stack's static worst case and deepest call chain, before boot (stack.budget)" },
	{ "record", cmd_record, OPT_BASE | OPT_FORMAT, 1u << FORMAT_TEXT | 1u << FORMAT_JSON, "DUMP",
	  "the layout record, field by field, as `name: value` lines or one JSON object" },
	{ "sections", cmd_sections, 0, 1u << FORMAT_TEXT, "KERNEL.elf",
	  "the image regions as the kernel ELF describes them, and its build ID" },
	{ "gdbcore", cmd_gdbcore, OPT_ELF | OPT_BASE | OPT_OUTPUT, 1u << FORMAT_TEXT, "DUMP",
	  "write an ELF core GDB opens with one thread per task (docs/gdb.md)" },
	{ NULL, NULL, 0, 0, NULL, NULL },
};

static const struct command *find_command(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}
