#!/bin/sh
# One owner per table, one text per statement name (docs/architecture.md,
# "Who owns each table"), checked on the SQL of the code (TAP):
#   1. every table the migrations create (CREATE TABLE in sql/) is named
#      once in the page: in the owners' table, with an owning file of core/
#      that exists, or in the list of tables no C code writes;
#   2. every writing statement of the C code (INSERT INTO, UPDATE,
#      DELETE FROM, COPY, TRUNCATE in the string literals of core/,
#      modules/ and tools/, statement tables or not) is in its table's
#      owner file, with no exception: a row that names another file of
#      the core as a writer (`core/...c`, or `core/...c:statement`, in its
#      third column) fails; a table no C code writes has none; an SQL
#      function the owners' table names as a writer of the table (`name()`
#      in its row) is called by the owner file's statements only;
#   3. a module or a tool holds no SQL that writes: no writing statement in
#      its literals, no statement of its own that calls an SQL function of
#      sql/functions/ that writes, and no core statement that writes run by
#      its name (hall_db_exec(cx, "name", ...)): it calls the owner's
#      function instead;
#   5. the page has no "Not owned by the core yet" list (were there one,
#      its items would name the files, backquoted paths, allowed meanwhile
#      to write the item's tables or call its functions, and this fails);
#   6. the scan itself: a write planted in a module's statement table (the
#      text split over two literals) is seen;
#   4. a statement name means one SQL text in every program: each name of
#      a statement table of core/, modules/ and tools/ has one text
#      wherever it is declared (a module's order_get is not another
#      module's order_get);
#   7. one owner per rule ("## Who owns each rule"): each function its
#      table lists has an owner file of core/ that exists, and no C file
#      of a folder its third column names (modules/, tools/) calls it,
#      comments and strings aside: the module calls the owner's function;
#   8. that scan itself: a call planted in a module is seen, one in a
#      comment or a string is not.
# The statements are read from the tables ("struct hall_stmt NAME[] = {...}"),
# the string pieces joined and the file's string macros put in; a piece the
# script cannot resolve (a function-like macro) is compared as written.
# HALL_OWNERS_DOC reads the list from another page.  bench/ is not the hall
# (bench/bare.c is a bare libpq baseline) and is not read.
root=${HALL_ROOT:-.}
doc=${HALL_OWNERS_DOC:-$root/docs/architecture.md}

echo "1..8"

section=$(sed -n '/^## Who owns each table/,/^## /p' "$doc" 2>/dev/null)
# the owners' table: "| `table` | `core/...` | ..." lines
owners=$(printf '%s\n' "$section" |
    sed -n 's/^| `\([a-z_][a-z0-9_]*\)` | `\([^`]*\)`.*/\1 \2/p')
if [ -z "$owners" ]; then
    echo "not ok 1 - no owners' table (\"## Who owns each table\") in $doc"
    echo "not ok 2 - # SKIP without the owners' table"
    echo "not ok 3 - # SKIP without the owners' table"
    echo "not ok 4 - # SKIP without the owners' table"
    echo "not ok 5 - # SKIP without the owners' table"
    echo "not ok 6 - # SKIP without the owners' table"
    echo "not ok 7 - # SKIP without the owners' table"
    echo "not ok 8 - # SKIP without the owners' table"
    exit 0
fi
# "table file[:statement]" for every backquoted core/ path of the third
# column: another writer named beside the owner, which fails (2)
also=$(printf '%s\n' "$section" | perl -ne '
    next unless /^\| `([a-z_][a-z0-9_]*)` \| `[^`]*` \|(.*)\|\s*$/;
    my ($t, $rest) = ($1, $2);
    print "$t $1\n" while $rest =~ /`(core\/[a-z_\/]+\.c(?::[a-z_][a-z0-9_]*)?)`/g;')
# "table function" for each `name()` of a row: the SQL functions that write it
fwriters=$(printf '%s\n' "$section" | perl -ne '
    next unless /^\| `([a-z_][a-z0-9_]*)` \| `[^`]*` \|(.*)\|\s*$/;
    my ($t, $rest) = ($1, $2);
    print "$t $1\n" while $rest =~ /`([a-z_][a-z0-9_]*)\(\)`/g;')
# the tables no C code writes: "- `table` ..." items below "No C code writes"
nowrite=$(printf '%s\n' "$section" | sed -n '/^No C code writes/,/^Not owned by the core yet/p' |
    perl -ne '
        if (/^- /) { $on = 1 } elsif (/^\S/) { $on = 0 }
        next unless $on;
        my ($head) = split /:/, $_, 2;
        $on = 0 if /:/;
        print "$1\n" while $head =~ /`([a-z_][a-z0-9_]*)`/g;')

# the debts: "table|function file[:statement]" for each item of the list
debt=$(printf '%s\n' "$section" | sed -n '/^Not owned by the core yet/,/^## /p' | perl -ne '
    if (/^- /) { flush(); $item = $_ } elsif (/^\s+\S/ && defined $item) { $item .= $_ } else { flush() }
    END { flush() }
    sub flush {
        return unless defined $item;
        my (@n, @f);
        for ($item =~ /`([^`]+)`/g) { if (m{/}) { push @f, $_ } else { push @n, $_ } }
        for my $n (@n) { print "$n $_\n" for @f }
        undef $item;
    }')
debt_tables=$(printf '%s\n' "$section" | sed -n '/^Not owned by the core yet/,/^## /p' |
    perl -ne '
        if (/^- /) { $on = 1 } elsif (/^\S/) { $on = 0 }
        next unless $on;
        my ($head) = split /:/, $_, 2;
        $on = 0 if /:/;
        print "$1 " while $head =~ /`([a-z_][a-z0-9_]*)`/g;')
created=$(cat "$root"/sql/*.sql 2>/dev/null | tr 'A-Z' 'a-z' |
    sed -n 's/.*create table \(if not exists \)\{0,1\}\([a-z_][a-z0-9_]*\).*/\2/p' | sort -u)
bad1=$(printf '%s\n' "$owners" | while read -r t f; do
    case $f in
    core/*.c) [ -f "$root/$f" ] || printf ' %s:%s(no such file)' "$t" "$f" ;;
    *) printf ' %s:%s(not a file of core/)' "$t" "$f" ;;
    esac
done)
named=$( (printf '%s\n' "$owners" | cut -d' ' -f1; printf '%s\n' "$nowrite") | sed '/^$/d' | sort)
twice=$(printf '%s\n' "$named" | uniq -d | tr '\n' ' ')
[ -n "$twice" ] && bad1="$bad1 named twice: $twice"
unnamed=$(printf '%s\n' "$created" | while read -r t; do
    printf '%s\n' "$named" | grep -qx "$t" || printf ' %s' "$t"
done)
unnamed=$(printf '%s\n' "$unnamed" | tr ' ' '\n' | while read -r t; do
    [ -n "$t" ] && ! printf '%s\n' "$debt" | grep -q "^$t " && printf ' %s' "$t"
done)
[ -n "$unnamed" ] && bad1="$bad1 not named:$unnamed"
if [ -z "$bad1" ]; then
    echo "ok 1 - every table has one owner in core/ or is written by no C code"
else
    echo "not ok 1 - tables without one owner:$bad1"
fi

# file<TAB>statement<TAB>table for every writing statement in the literals
# of the files (the statement: the name of the table entry it is in, or -)
writes() {
    perl -e '
        use strict;
        for my $f (@ARGV) {
            open my $fh, "<", $f or next;
            local $/;
            my $s = <$fh>;
            $s =~ s{/\*.*?\*/}{ }gs;
            $s =~ s{\\\n}{ }g;
            $s =~ s{^[ \t]*//[^\n]*}{}mg;
            # adjacent literals (with macros between) are one text
            my (@grp, $cur, $end);
            while ($s =~ /"((?:[^"\\\n]|\\.)*)"/g) {
                my ($p, $t, $e) = ($-[0], $1, $+[0]);
                if (defined $cur && substr($s, $end, $p - $end) =~ /^[\sA-Z_0-9]*$/) {
                    $cur->[1] .= $t;
                } else {
                    push @grp, $cur if defined $cur;
                    $cur = [$p, $t];
                }
                $end = $e;
            }
            push @grp, $cur if defined $cur;
            (my $rel = $f) =~ s{^.*?/?((?:core|modules|tools)/)}{$1};
            for my $g (@grp) {
                my ($p, $t) = @$g;
                my $name = "-";
                my $before = substr($s, 0, $p);
                $name = $1 if $before =~ /.*\{\s*"([a-z_][a-z0-9_]*)"\s*,\s*$/s;
                $name = $1 if $name eq "-" && $before =~ /.*\{\s*"([a-z_][a-z0-9_]*)"\s*,[^{}]*$/s;
                while ($t =~ /\b(?:INSERT\s+INTO|(?<!FOR )(?<!KEY )(?<!DO )UPDATE|DELETE\s+FROM|COPY|TRUNCATE(?:\s+TABLE)?)\s+(?:ONLY\s+)?([a-z_][a-z0-9_]*)/g) {
                    print "$rel\t$name\t$1\n";
                }
            }
        }' "$@"
}

files=$(cd "$root" && for d in core modules tools; do
    [ -d "$d" ] && find "$d" -name '*.c' -type f
done | sort)
all=$(cd "$root" && writes $files)
bad2=$(printf '%s\n' "$also" | sed -n 's/^\([a-z_][a-z0-9_]*\) \(.*\)/\2->\1(named beside its owner) /p' |
    tr -d '\n')
bad2="$bad2$(printf '%s\n' "$all" | OWNERS=$owners NOWRITE=$nowrite DEBT=$debt perl -F'\t' -lane '
    BEGIN {
        for (split /\n/, $ENV{OWNERS}) { my ($t, $f) = split " "; $own{$t} = $f }
        for (split /\n/, $ENV{DEBT}) { my ($t, $f) = split " "; $debt{$t}{$f} = 1 }
        $none{$_} = 1 for split " ", $ENV{NOWRITE};
    }
    next unless @F == 3;
    my ($f, $n, $t) = @F;
    next if $debt{$t}{$f} || $debt{$t}{"$f:$n"};
    next if defined $own{$t} && $own{$t} eq $f;
    if (defined $own{$t}) { print "$f:$n->$t(owner $own{$t})" }
    elsif ($none{$t})     { print "$f:$n->$t(written by no C code)" }
    else                  { print "$f:$n->$t(not in the page)" }' | tr '\n' ' ')"
bad2="$bad2$(cd "$root" && for f in $files; do
    OWNERS=$owners FW=$fwriters perl -0ne '
        BEGIN {
            for (split /\n/, $ENV{OWNERS}) { my ($t, $f) = split " "; $own{$t} = $f }
            for (split /\n/, $ENV{FW}) { my ($t, $fn) = split " "; push @{$fw{$fn}}, $t }
        }
        s{/\*.*?\*/}{ }gs;
        while (/\{\s*"([a-z_][a-z0-9_]*)"\s*,((?:[^{}"]|"(?:[^"\\]|\\.)*")*?),\s*\d+\s*\}/gs) {
            my ($n, $sql) = ($1, $2);
            while ($sql =~ /\b([a-z_][a-z0-9_]*)\s*\(/g) {
                for my $t (@{$fw{$1} || []}) {
                    print " $ARGV:$n->$1()->$t(owner $own{$t})" if $own{$t} ne $ARGV;
                }
            }
        }' "$f"
done)"
if [ -z "$bad2" ]; then
    echo "ok 2 - each writing statement is in its table's owner file"
else
    echo "not ok 2 - writing statements outside their owner (file:statement->table): $bad2"
fi

# the SQL functions that write (their current text, sql/functions/)
wfuncs=$(for f in "$root"/sql/functions/*.sql; do
    [ -f "$f" ] || continue
    grep -qiE '(insert[[:space:]]+into|[^a-z_]update[[:space:]]+[a-z_]|delete[[:space:]]+from)' "$f" &&
        basename "$f" .sql
done | tr '\n' ' ')
# the names of the core's writing statements
cwrite=$(printf '%s\n' "$all" | awk -F'\t' '$1 ~ /^core\// && $2 != "-" { print $2 }' | sort -u |
    tr '\n' ' ')
bad3=$(printf '%s\n' "$all" | DEBT=$debt perl -F'\t' -lane '
    BEGIN { for (split /\n/, $ENV{DEBT}) { my ($t, $f) = split " "; $debt{$t}{$f} = 1 } }
    next unless @F == 3 && $F[0] =~ m{^(?:modules|tools)/};
    next if $debt{$F[2]}{$F[0]} || $debt{$F[2]}{"$F[0]:$F[1]"};
    print " $F[0]:$F[1]->$F[2]";' | tr -d '\n')
bad3="$bad3$(cd "$root" && for f in $files; do
    case $f in modules/* | tools/*) ;; *) continue ;; esac
    WF=$wfuncs CW=$cwrite DEBT=$debt perl -0ne '
        BEGIN {
            %wf = map { $_ => 1 } split " ", $ENV{WF};
            %cw = map { $_ => 1 } split " ", $ENV{CW};
            for (split /\n/, $ENV{DEBT}) { my ($t, $f) = split " "; $debt{$t}{$f} = 1 }
        }
        s{/\*.*?\*/}{ }gs;
        while (/\{\s*"([a-z_][a-z0-9_]*)"\s*,((?:[^{}"]|"(?:[^"\\]|\\.)*")*?),\s*\d+\s*\}/gs) {
            my ($n, $sql) = ($1, $2);
            while ($sql =~ /\b([a-z_][a-z0-9_]*)\s*\(/g) {
                print " $ARGV:$n->$1()" if $wf{$1} && !$debt{$1}{$ARGV};
            }
        }
        while (/hall_db_(?:exec|exec_keyed|read|send)\s*\(\s*[^,]+,\s*"([a-z_][a-z0-9_]*)"/g) {
            print " $ARGV:$1(the core\x27s)" if $cw{$1} && !$debt{$1}{$ARGV};
        }' "$f"
done)"
if [ -z "$bad3" ]; then
    echo "ok 3 - no module or tool holds SQL that writes"
else
    echo "not ok 3 - modules and tools writing (file:statement->table, ->function(), or a core statement run by name):$bad3"
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
    echo "ok 4 - each statement name has one text"
else
    echo "not ok 4 - statement names with two texts (name(files of one text | of another)): $twice"
fi

if [ -z "$debt_tables" ]; then
    echo "ok 5 - every table is owned by the core"
else
    echo "not ok 5 - not owned by the core yet (the page's list must be empty): $debt_tables"
fi

# the scan sees a planted write (its regular expressions still match)
plant=$(mktemp -d)
mkdir -p "$plant/modules/planted"
cat >"$plant/modules/planted/planted.c" <<'PLANT'
static const struct hall_stmt planted_stmts[] = {
    {"planted_write",
     "UPDATE "
     "orders SET status = 'issued' WHERE id = $1",
     1},
    {NULL, NULL, 0},
};
PLANT
seen=$(cd "$plant" && writes modules/planted/planted.c)
rm -rf "$plant"
if [ "$seen" = "$(printf 'modules/planted/planted.c\tplanted_write\torders')" ]; then
    echo "ok 6 - a write planted in a module is seen"
else
    echo "not ok 6 - a write planted in a module is not seen: $seen"
fi


# file<TAB>function for every call in the C of the files of one of the
# functions named (comments and string literals removed first)
calls() {
    names=$1
    shift
    perl -e '
        use strict;
        my %want = map { $_ => 1 } split / /, shift @ARGV;
        for my $f (@ARGV) {
            open my $fh, "<", $f or next;
            local $/;
            my $s = <$fh>;
            $s =~ s{/\*.*?\*/|//[^\n]*|"(?:[^"\\\n]|\\.)*"|\x27(?:[^\x27\\\n]|\\.)*\x27}{ }gs;
            my %seen;
            while ($s =~ /\b([A-Za-z_][A-Za-z0-9_]*)\s*\(/g) {
                print "$f\t$1\n" if $want{$1} && !$seen{$1}++;
            }
        }' "$names" "$@"
}

rules=$(sed -n '/^## Who owns each rule/,/^## /p' "$doc" 2>/dev/null | perl -ne '
    next unless /^\| `([A-Za-z_][A-Za-z0-9_]*)\(\)` \| `([^`]*)` \|(.*)\|\s*$/;
    my ($fn, $own, $out) = ($1, $2, $3);
    my @dirs = $out =~ /`((?:modules|tools)\/)`/g;
    print "$fn $own @dirs\n";')
if [ -z "$rules" ]; then
    echo "not ok 7 - no rules' table (\"## Who owns each rule\") in $doc"
else
    bad7=$(printf '%s\n' "$rules" | while read -r fn own dirs; do
        [ -f "$root/$own" ] || printf ' %s:%s(no such file)' "$fn" "$own"
        for d in $dirs; do
            # shellcheck disable=SC2086 # $d is a folder's name, globbed
            calls "$fn" "$root"/$d*/*.c |
                while IFS="$(printf '\t')" read -r f n; do
                    printf ' %s->%s()(owner %s)' "${f#"$root"/}" "$n" "$own"
                done
        done
    done)
    if [ -z "$bad7" ]; then
        echo "ok 7 - each rule's functions are called by their owner's side only"
    else
        echo "not ok 7 - a rule's function called outside its owner:$bad7"
    fi
fi

# the scan sees a planted call, and not one in a comment or a string
plant=$(mktemp -d)
mkdir -p "$plant/modules/planted"
cat >"$plant/modules/planted/planted.c" <<'PLANT'
/* OCSP_basic_verify(basic, NULL, NULL, 0) in a comment */
static const char *why = "OCSP_check_nonce(req, basic)";
static int
planted(OCSP_BASICRESP *b)
{
    return OCSP_basic_verify (b, NULL, NULL, 0);
}
PLANT
seen=$(cd "$plant" && calls "OCSP_basic_verify OCSP_check_nonce" modules/planted/planted.c)
rm -rf "$plant"
if [ "$seen" = "$(printf 'modules/planted/planted.c\tOCSP_basic_verify')" ]; then
    echo "ok 8 - a rule's call planted in a module is seen, in a comment or string not"
else
    echo "not ok 8 - the planted call is not seen as it should be: $seen"
fi
