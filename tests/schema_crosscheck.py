#!/usr/bin/python3
"""Cross-check gilde's JSON Schema files, examples and taxonomy.

Usage: /usr/bin/python3 tests/schema_crosscheck.py SCHEMA_DIR

Works offline with Debian 12's python3-jsonschema (4.10.3): every *.json in
SCHEMA_DIR is loaded into a RefResolver store keyed by its $id, so relative
$refs ("common.json#/$defs/slug") resolve without the network.

Checks
 1. every schema file is valid against the draft 2020-12 metaschema;
 2. every file in SCHEMA_DIR/examples/ is valid against the schema its name
    prefix selects (<kind>-<slug>.json; kind partner, offer, event, news,
    profile, plan, progress, insight) and, for records, its id equals <slug>; a plan's profile
    is valid against profile.schema.json;
 3. every file in SCHEMA_DIR/examples/invalid/ is invalid, the error
    locations include the JSON pointer given in expect.tsv (a `required`
    error is located at object path + missing name, an `additionalProperties`
    error at object path + unknown name), and no other location fails (each
    file is wrong for exactly one reason);
 4. expect.tsv and the files in examples/invalid/ match one to one;
 5. taxonomy.json: each $defs enum equals (same order) the ids of x-terms,
    labels have non-empty nl and en, every parent exists in the same list
    (no cycles), and needs' children follow their parent directly;
 6. the schema files use only the keywords the C validator understands, in
    the forms it understands.
Prints one line per failure and a summary; exits 1 on any failure.
"""
import json
import os
import re
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)

from jsonschema import Draft202012Validator, RefResolver  # noqa: E402

BASE = "https://gilde.invalid/schemas/"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
KINDS = {
    "partner": "partner.schema.json",
    "offer": "offer.schema.json",
    "event": "event.schema.json",
    "news": "news.schema.json",
    "profile": "profile.schema.json",
    "plan": "plan.schema.json",
    "progress": "progress.schema.json",
    "insight": "insight.schema.json",
}
RECORD_KINDS = {"partner", "offer", "event", "news", "insight"}

ALLOWED = {
    "$schema", "$id", "$defs", "$ref", "$comment", "title", "description",
    "type", "properties", "required", "additionalProperties",
    "minProperties", "maxProperties", "items", "minItems", "maxItems",
    "uniqueItems", "enum", "const", "minLength", "maxLength", "pattern",
    "format", "minimum", "maximum",
}
TYPES = {"object", "array", "string", "integer", "boolean"}
FORMATS = {"date", "date-time"}
INT_KEYWORDS = {"minProperties", "maxProperties", "minItems", "maxItems",
                "minLength", "maxLength", "minimum", "maximum"}
ANNOTATIONS = {"$comment", "title", "description"}
REF_RE = re.compile(r"^([a-z0-9_.-]+\.json)?#/\$defs/([A-Za-z0-9_-]+)$")
# Python-only or non-POSIX regex constructs.
BAD_PATTERN_RE = re.compile(
    r"\\[dDwWsSbBAZzGQE0-9pPkx]|\(\?|[*+?}]\?")
LANGS = ("nl", "en")

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def pointer(parts):
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1")
                   for p in parts)


def load_json(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError) as exc:
        fail("%s: cannot load: %s" % (path, exc))
        return None


def no_network(uri):
    raise LookupError("not in the offline schema store: " + uri)


# ---------------------------------------------------------------- loading

# Data files in schemas/ that are no schema, each checked by one.
DATA = {"paths.json": "paths.schema.json", "screening.json": "screening.schema.json"}


def load_schemas(schema_dir):
    schemas = {}  # file name -> document
    for name in sorted(os.listdir(schema_dir)):
        path = os.path.join(schema_dir, name)
        if not name.endswith(".json") or not os.path.isfile(path) or name in DATA:
            continue
        doc = load_json(path)
        if doc is None:
            continue
        if not isinstance(doc, dict):
            fail("%s: not a JSON object" % name)
            continue
        if doc.get("$id") != BASE + name:
            fail("%s: $id is %r, expected %r" % (name, doc.get("$id"),
                                                 BASE + name))
        schemas[name] = doc
    return schemas


def make_validator(schemas, name):
    store = {BASE + n: d for n, d in schemas.items()}
    schema = schemas[name]
    resolver = RefResolver(base_uri=BASE + name, referrer=schema, store=store,
                           handlers={"http": no_network, "https": no_network})
    return Draft202012Validator(
        schema, resolver=resolver,
        format_checker=Draft202012Validator.FORMAT_CHECKER)


# ---------------------------------------------------------------- check 1

def check_metaschema(schemas):
    for name, doc in schemas.items():
        try:
            Draft202012Validator.check_schema(doc)
        except Exception as exc:  # SchemaError, or anything unexpected
            fail("%s: not a valid draft 2020-12 schema: %s"
                 % (name, getattr(exc, "message", exc)))


# ---------------------------------------------------------------- errors

def error_locations(error, out):
    """Add the JSON pointers an error stands for to the set out."""
    path = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        for prop in error.validator_value:
            if prop not in error.instance:
                out.add(pointer(path + [prop]))
    elif (error.validator == "additionalProperties"
          and isinstance(error.instance, dict)):
        known = set(error.schema.get("properties", {}))
        extra = [p for p in error.instance if p not in known]
        for prop in extra:
            out.add(pointer(path + [prop]))
        if not extra:
            out.add(pointer(path))
    else:
        out.add(pointer(path))
    for sub in error.context or ():
        error_locations(sub, out)


def validate(validators, kind, doc):
    """Return (list of messages, set of pointers); raise nothing."""
    messages, where = [], set()
    try:
        for err in validators[kind].iter_errors(doc):
            error_locations(err, where)
            messages.append("%s: %s" % (pointer(err.absolute_path) or "/",
                                        err.message))
    except Exception as exc:  # e.g. an unresolvable $ref
        messages.append("validator crashed: %r" % (exc,))
        where.add("(crash)")
    return messages, where


def kind_of(file_name):
    for kind in KINDS:
        if file_name.startswith(kind + "-") and file_name.endswith(".json"):
            return kind, file_name[len(kind) + 1:-len(".json")]
    return None, None


# ---------------------------------------------------------------- check 2

def check_valid_examples(ex_dir, validators):
    count = 0
    if not os.path.isdir(ex_dir):
        fail("%s: missing" % ex_dir)
        return 0
    per_kind = dict.fromkeys(KINDS, 0)
    for name in sorted(os.listdir(ex_dir)):
        path = os.path.join(ex_dir, name)
        if not os.path.isfile(path):
            continue
        kind, slug = kind_of(name)
        if kind is None:
            fail("examples/%s: name is not <kind>-<slug>.json" % name)
            continue
        doc = load_json(path)
        if doc is None:
            continue
        count += 1
        per_kind[kind] += 1
        messages, _ = validate(validators, kind, doc)
        # a plan's profile is checked against profile.schema.json by
        # whoever reads the plan (plan.schema.json cannot $ref a whole file)
        if kind == "plan" and isinstance(doc, dict):
            messages += ["/profile" + m for m in
                         validate(validators, "profile", doc.get("profile"))[0]]
        for msg in messages:
            fail("examples/%s: should be valid: %s" % (name, msg))
        if (kind in RECORD_KINDS and isinstance(doc, dict)
                and doc.get("id") != slug):
            fail("examples/%s: id %r does not match the file name"
                 % (name, doc.get("id")))
    for kind, n in per_kind.items():
        if n < 2:
            fail("examples/: only %d valid example(s) of kind %s" % (n, kind))
    return count


# ---------------------------------------------------------------- checks 3, 4

def read_expect(path):
    expect = {}
    if not os.path.isfile(path):
        fail("%s: missing" % path)
        return expect
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) != 2 or not parts[1].startswith("/"):
                fail("expect.tsv:%d: not '<file>\\t<JSON pointer>': %r"
                     % (lineno, line))
                continue
            if parts[0] in expect:
                fail("expect.tsv:%d: %s listed twice" % (lineno, parts[0]))
            expect[parts[0]] = parts[1]
    return expect


def check_invalid_examples(inv_dir, validators):
    expect = read_expect(os.path.join(inv_dir, "expect.tsv"))
    files = set()
    if os.path.isdir(inv_dir):
        files = {n for n in os.listdir(inv_dir)
                 if n.endswith(".json")
                 and os.path.isfile(os.path.join(inv_dir, n))}
    for name in sorted(files - set(expect)):
        fail("examples/invalid/%s: no line in expect.tsv" % name)
    for name in sorted(set(expect) - files):
        fail("expect.tsv: %s: no such file" % name)
    count = 0
    for name in sorted(files & set(expect)):
        kind, _ = kind_of(name)
        if kind is None:
            fail("examples/invalid/%s: name is not <kind>-<slug>.json" % name)
            continue
        doc = load_json(os.path.join(inv_dir, name))
        if doc is None:
            continue
        count += 1
        messages, where = validate(validators, kind, doc)
        want = expect[name]
        if not messages:
            fail("examples/invalid/%s: is valid, expected an error at %s"
                 % (name, want))
        elif want not in where:
            fail("examples/invalid/%s: no error at %s (errors at %s: %s)"
                 % (name, want, ", ".join(sorted(where)),
                    "; ".join(messages)))
        elif where != {want}:
            fail("examples/invalid/%s: wrong for more than one reason: "
                 "errors at %s" % (name, ", ".join(sorted(where))))
    if count < 20:
        fail("examples/invalid/: only %d invalid examples, want 20 or more"
             % count)
    return count


# ---------------------------------------------------------------- check 5

def check_taxonomy(schemas):
    tax = schemas.get("taxonomy.json")
    if tax is None:
        fail("taxonomy.json: missing")
        return
    defs = tax.get("$defs", {})
    terms = tax.get("x-terms")
    if not isinstance(terms, dict):
        fail("taxonomy.json: x-terms missing or not an object")
        return
    for name in sorted(set(defs) - set(terms)):
        fail("taxonomy.json: $defs/%s has no x-terms list" % name)
    for name in sorted(set(terms) - set(defs)):
        fail("taxonomy.json: x-terms/%s has no $defs entry" % name)
    for name in sorted(set(defs) & set(terms)):
        enum = defs[name].get("enum")
        lst = terms[name]
        where = "taxonomy.json: x-terms/%s" % name
        if not isinstance(enum, list):
            fail("taxonomy.json: $defs/%s has no enum" % name)
            continue
        if not isinstance(lst, list):
            fail(where + ": not an array")
            continue
        ids = []
        for i, term in enumerate(lst):
            if not isinstance(term, dict):
                fail("%s/%d: not an object" % (where, i))
                continue
            extra = set(term) - {"id", "label", "parent", "search"}
            if extra:
                fail("%s/%d: unknown member(s) %s"
                     % (where, i, ", ".join(sorted(extra))))
            ids.append(term.get("id"))
            label = term.get("label")
            if not isinstance(label, dict):
                fail("%s/%d: label missing or not an object" % (where, i))
                continue
            for lang in LANGS:
                text = label.get(lang)
                if not isinstance(text, str) or not text.strip():
                    fail("%s/%d: label.%s missing or empty" % (where, i, lang))
            for lang in set(label) - {"nl", "en", "fr", "de"}:
                fail("%s/%d: label has unknown language %r" % (where, i, lang))
            search = term.get("search", {})
            if not isinstance(search, dict) or set(search) - set(LANGS) or \
                    not all(isinstance(v, str) and v.strip() for v in search.values()):
                fail("%s/%d: search must map nl and en to words" % (where, i))
        for dup in sorted({x for x in ids if ids.count(x) > 1}, key=str):
            fail("%s: id %r appears more than once" % (where, dup))
        if ids != enum:
            missing = [x for x in enum if x not in ids]
            unused = [x for x in ids if x not in enum]
            fail("%s: ids differ from $defs/%s/enum (not in x-terms: %s; "
                 "not in enum: %s; or a different order)"
                 % (where, name, missing, unused))
        parent = {t.get("id"): t.get("parent") for t in lst
                  if isinstance(t, dict)}
        for tid, par in parent.items():
            if par is None:
                continue
            if par not in parent:
                fail("%s: %s has parent %r, which is not in the list"
                     % (where, tid, par))
                continue
            seen, cur = {tid}, par
            while cur is not None:
                if cur in seen:
                    fail("%s: parent cycle through %s" % (where, tid))
                    break
                seen.add(cur)
                cur = parent.get(cur)
        if name == "need":
            # children come right after their parent (or their siblings and
            # the siblings' own children)
            def under(t, anc):
                for _ in range(len(ids)):
                    if t is None or t == anc:
                        return t == anc
                    t = parent.get(t)
                return False
            for i, tid in enumerate(ids):
                par = parent.get(tid)
                if par is None:
                    continue
                prev = ids[i - 1] if i else None
                if not under(prev, par):
                    fail("%s: %s does not follow its parent %s directly"
                         % (where, tid, par))


# ---------------------------------------------------------------- check 6

def resolve_ref(schemas, here, ref):
    m = REF_RE.match(ref)
    if not m:
        return None
    doc = schemas.get(m.group(1) or here)
    if doc is None:
        return None
    return doc.get("$defs", {}).get(m.group(2))


def check_keywords(schemas):
    for name, doc in schemas.items():
        walk(schemas, name, doc, "", top=True)


def walk(schemas, name, node, where, top=False):
    loc = "%s#%s" % (name, where or "/")
    if not isinstance(node, dict):
        fail("%s: a schema must be an object" % loc)
        return
    for key in node:
        if key == "x-terms" and top and name == "taxonomy.json":
            continue
        if key not in ALLOWED:
            fail("%s: keyword %r is not allowed" % (loc, key))
    if top:
        if node.get("$schema") != DRAFT:
            fail("%s: $schema must be %s" % (loc, DRAFT))
        if "$id" not in node:
            fail("%s: $id missing" % loc)
    else:
        for key in ("$schema", "$id"):
            if key in node:
                fail("%s: %s only at the top of a file" % (loc, key))
    for key in ANNOTATIONS:
        if key in node and not isinstance(node[key], str):
            fail("%s: %s must be a string" % (loc, key))
    if "$ref" in node:
        ref = node["$ref"]
        others = set(node) - ANNOTATIONS - {"$ref"}
        if others:
            fail("%s: $ref with other keywords %s"
                 % (loc, ", ".join(sorted(others))))
        if not isinstance(ref, str) or not REF_RE.match(ref):
            fail("%s: $ref %r is not FILE.json#/$defs/NAME or #/$defs/NAME"
                 % (loc, ref))
        elif resolve_ref(schemas, name, ref) is None:
            fail("%s: $ref %r points nowhere" % (loc, ref))
    typ = node.get("type")
    if "type" in node and (not isinstance(typ, str) or typ not in TYPES):
        fail("%s: type %r is not one of %s" % (loc, typ, sorted(TYPES)))
    for key in INT_KEYWORDS:
        if key in node and (type(node[key]) is not int or node[key] < 0
                            and key not in ("minimum", "maximum")):
            fail("%s: %s must be a non-negative integer" % (loc, key))
    if "additionalProperties" in node and node["additionalProperties"] \
            is not False:
        fail("%s: additionalProperties may only be false" % loc)
    if "uniqueItems" in node and node["uniqueItems"] is not True:
        fail("%s: uniqueItems may only be true" % loc)
    if "format" in node and (not isinstance(node["format"], str)
                             or node["format"] not in FORMATS):
        fail("%s: format %r not allowed" % (loc, node["format"]))
    if "const" in node and not isinstance(node["const"], str):
        fail("%s: const must be a string" % loc)
    if "enum" in node:
        enum = node["enum"]
        if (not isinstance(enum, list) or not enum
                or not all(isinstance(v, str) for v in enum)):
            fail("%s: enum must be a non-empty array of strings" % loc)
        elif len(set(enum)) != len(enum):
            fail("%s: enum has duplicates" % loc)
        else:
            too_long = [v for v in enum
                        if len(v) > node.get("maxLength", len(v))]
            if too_long:
                fail("%s: enum values longer than maxLength: %s"
                     % (loc, too_long))
    if "pattern" in node:
        pat = node["pattern"]
        if not isinstance(pat, str):
            fail("%s: pattern must be a string" % loc)
        else:
            if BAD_PATTERN_RE.search(pat):
                fail("%s: pattern %r uses a construct POSIX ERE lacks"
                     % (loc, pat))
            try:
                re.compile(pat)
            except re.error as exc:
                fail("%s: pattern %r does not compile: %s" % (loc, pat, exc))
    if "required" in node:
        req = node["required"]
        props = node.get("properties", {})
        if (not isinstance(req, list)
                or not all(isinstance(r, str) for r in req)
                or len(set(req)) != len(req)):
            fail("%s: required must be an array of distinct strings" % loc)
        else:
            for r in req:
                if r not in props:
                    fail("%s: required %r is not in properties" % (loc, r))
    if typ == "string" and "maxLength" not in node:
        fail("%s: string without maxLength" % loc)
    if typ == "array":
        if "maxItems" not in node:
            fail("%s: array without maxItems" % loc)
        if "items" not in node:
            fail("%s: array without items" % loc)
    for key in ("properties", "$defs"):
        if key in node:
            if not isinstance(node[key], dict):
                fail("%s: %s must be an object" % (loc, key))
                continue
            for sub, schema in node[key].items():
                walk(schemas, name, schema, "%s/%s/%s" % (where, key, sub))
    if "items" in node:
        walk(schemas, name, node["items"], where + "/items")


# ---------------------------------------------------------------- main

def check_lists_hold_all(schemas):
    """A list of distinct values from an enum may name every value: an
    offer's soft criteria, and an offer's or a path's premises."""
    off = schemas.get("offer.schema.json", {}).get("$defs", {})
    lists = [("offer.schema.json: eligibility.soft",
              off.get("eligibility", {}).get("properties", {}).get("soft", {}),
              off.get("criterion", {}).get("enum", [])),
             ("offer.schema.json: eligibility.premises",
              off.get("eligibility", {}).get("properties", {}).get("premises", {}),
              off.get("eligibility", {}).get("properties", {}).get("premises", {})
              .get("items", {}).get("enum", []))]
    paths = schemas.get("paths.schema.json", {}).get("$defs", {})
    for name, node in paths.items():
        prem = node.get("properties", {}).get("premises") if isinstance(node, dict) else None
        if prem:
            lists.append(("paths.schema.json: %s.premises" % name, prem,
                          paths.get("premises", {}).get("enum", [])))
    for where, node, values in lists:
        if not values or node.get("maxItems") != len(values):
            fail("%s: maxItems %r, but %d values may be listed"
                 % (where, node.get("maxItems"), len(values)))


def main(argv):
    if len(argv) != 2:
        print("usage: %s SCHEMA_DIR" % argv[0], file=sys.stderr)
        return 2
    schema_dir = argv[1]
    schemas = load_schemas(schema_dir)
    for f in ["common.json", "taxonomy.json"] + list(KINDS.values()):
        if f not in schemas:
            fail("%s: missing" % f)
    check_metaschema(schemas)
    check_keywords(schemas)
    check_taxonomy(schemas)
    check_lists_hold_all(schemas)
    n_valid = n_invalid = 0
    if all(f in schemas for f in KINDS.values()):
        validators = {}
        for kind, f in KINDS.items():
            try:
                validators[kind] = make_validator(schemas, f)
            except Exception as exc:
                fail("%s: cannot build a validator: %s" % (f, exc))
        if len(validators) == len(KINDS):
            ex_dir = os.path.join(schema_dir, "examples")
            n_valid = check_valid_examples(ex_dir, validators)
            n_invalid = check_invalid_examples(
                os.path.join(ex_dir, "invalid"), validators)
    for data, schema in DATA.items():
        doc = load_json(os.path.join(schema_dir, data))
        if doc is None or schema not in schemas:
            fail("%s or %s: missing" % (data, schema))
            continue
        for err in make_validator(schemas, schema).iter_errors(doc):
            fail("%s#/%s: %s" % (data, "/".join(str(p) for p in err.path), err.message))
    print("%d schema files, %d valid examples, %d invalid examples: "
          "%d failure(s)" % (len(schemas), n_valid, n_invalid, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
