#!/bin/sh
# One owner per table, one text per statement name (docs/architecture.md,
# "Who owns each table"), checked on the SQL of the code (TAP):
#   1. every table of the owners' table has an owning file that exists;
#   2. no module's SQL (the statement tables of modules/*/*.c and
#      tools/*/*.c: handlers, tools, the outbox) writes (INSERT, UPDATE,
#      DELETE) a table the core owns: it calls its owner's function instead;
#   3. a statement name means one SQL text in every program: each name of
#      a statement table of core/, modules/ and tools/ has one text
#      wherever it is declared (a module's order_get is not another
#      module's order_get).
# The statements are read from the tables ("struct hall_stmt NAME[] = {...}"),
# the string pieces joined and the file's string macros put in; a piece the
# script cannot resolve (a function-like macro) is compared as written.
# HALL_OWNERS_DOC reads the list from another page (a run against an older
# tree that has none: HALL_ROOT=old-tree HALL_OWNERS_DOC=this/docs/...).
root=${HALL_ROOT:-.}
doc=${HALL_OWNERS_DOC:-$root/docs/architecture.md}

echo "1..3"

# the owners' table: "| `table` | `core/...` | ..." lines of its section
owners=$(sed -n '/^## Who owns each table/,/^## /p' "$doc" 2>/dev/null |
    sed -n 's/^| `\([a-z_][a-z0-9_]*\)` | `\([^`]*\)`.*/\1 \2/p')
if [ -z "$owners" ]; then
    echo "not ok 1 - no owners' table (\"## Who owns each table\") in $doc"
    echo "not ok 2 - # SKIP without the owners' table"
    echo "not ok 3 - # SKIP without the owners' table"
    exit 0
fi
missing=$(printf '%s\n' "$owners" | while read -r t f; do
    case $f in
    core/*) [ -f "$root/$f" ] || printf ' %s:%s' "$t" "$f" ;;
    *) printf ' %s:%s(not in core/)' "$t" "$f" ;;
    esac
done)
if [ -z "$missing" ]; then
    echo "ok 1 - every owned table has its owner's file in core/"
else
    echo "not ok 1 - owners that are not files of core/ (table:file):$missing"
fi

# file<TAB>name<TAB>text of every statement of the tables of the files
stmts() {
    perl -e '
        use strict;
        for my $f (@ARGV) {
            open my $fh, "<", $f or next;
            local $/;
            my $s = <$fh>;
            $s =~ s{/\*.*?\*/}{ }gs;
            $s =~ s{\\\n}{ }g;
            my %def;
            $def{$1} = $2 while $s =~ /^[ \t]*#[ \t]*define[ \t]+([A-Z_][A-Z0-9_]*)[ \t]+(.*)$/mg;
            my $text;
            $text = sub {
                my ($e, $d) = @_;
                my $out = "";
                $e =~ s/^\s+|\s+$//g;
                while (length $e) {
                    if ($e =~ s/^"((?:[^"\\]|\\.)*)"\s*//) {
                        $out .= $1;
                    } elsif ($d < 8 && $e =~ s/^([A-Z_][A-Z0-9_]*)\s*(?![(\w])// && defined $def{$1}) {
                        my $v = $text->($def{$1}, $d + 1);
                        return undef unless defined $v;
                        $out .= $v;
                    } else {
                        return undef;
                    }
                }
                return $out;
            };
            while ($s =~ /struct\s+hall_stmt\s+\w+\s*\[\s*\]\s*=\s*\{(.*?)\n\};/gs) {
                my $t = $1;
                while ($t =~ /\{\s*"([a-z_][a-z0-9_]*)"\s*,((?:[^{}"]|"(?:[^"\\]|\\.)*")*?),\s*\d+\s*\}/gs) {
                    my ($n, $e) = ($1, $2);
                    my $sql = $text->($e, 0);
                    if (!defined $sql) {
                        ($sql = $e) =~ s/\s+/ /g;
                    }
                    $sql =~ s/\t/ /g;
                    print "$f\t$n\t$sql\n";
                }
            }
        }' "$@"
}

tables=$(printf '%s\n' "$owners" | cut -d' ' -f1 | tr '\n' ' ')
bad=$(stmts "$root"/modules/*/*.c "$root"/tools/*/*.c | TABLES=$tables perl -F'\t' -lane '
    BEGIN { %own = map { $_ => 1 } split " ", $ENV{TABLES} }
    my ($f, $n, $sql) = @F;
    while ($sql =~ /\b(?:INSERT\s+INTO|(?<!FOR )(?<!KEY )(?<!DO )UPDATE|DELETE\s+FROM)\s+(?:ONLY\s+)?([a-z_][a-z0-9_]*)/gi) {
        my $t = lc $1;
        next unless $own{$t};
        $f =~ s{.*/((?:modules|tools)/)}{$1};
        print "$f:$n->$t";
    }' | tr '\n' ' ')
if [ -z "$bad" ]; then
    echo "ok 2 - no module writes a table the core owns"
else
    echo "not ok 2 - modules writing a table the core owns (file:statement->table): $bad"
fi

twice=$(stmts "$root"/core/*/*.c "$root"/modules/*/*.c "$root"/tools/*/*.c | perl -F'\t' -lane '
    my ($f, $n, $sql) = @F;
    $f =~ s{.*/((?:core|modules|tools)/)}{$1};
    push @{$by{$n}{$sql}}, $f;
    END {
        for my $n (sort keys %by) {
            my @t = keys %{$by{$n}};
            next if @t < 2;
            print "$n(" . join(" | ", map { join(",", @{$by{$n}{$_}}) } sort @t) . ")";
        }
    }' | tr '\n' ' ')
if [ -z "$twice" ]; then
    echo "ok 3 - each statement name has one text"
else
    echo "not ok 3 - statement names with two texts (name(files of one text | of another)): $twice"
fi
