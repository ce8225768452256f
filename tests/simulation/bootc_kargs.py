"""How bootc turns ``/usr/lib/bootc/kargs.d/*.toml`` into a deployment's kernel arguments: a test-side model.

Test machinery, not part of the built collection.  Written from bootc's own source, never
from this collection's code, so that a test can check what the collection writes into an
image tree against what ``bootc upgrade`` / ``bootc switch`` will make of it:

* repository bootc-dev/bootc, commit 534c76ea474a356aa288f6767635e579ea2614d5 (2026-08-22),
  ``crates/lib/src/bootc_kargs.rs`` (last changed in 220f40458f3c8c9fccb96e298d73f939c8ff7884):
  ``Config`` (serde ``rename_all = "kebab-case"``, ``deny_unknown_fields``), ``Config::filename_matches``,
  ``parse_kargs_toml``, ``get_kargs_in_root``, ``get_kargs_from_ostree``, ``compute_apply_kargs_diff``,
  ``get_kargs``; ``crates/lib/src/deploy.rs`` ``deploy()`` (the result becomes ostree's
  ``override_kernel_argv`` as ``Cmdline::iter_str()``); ``docs/src/building/kernel-arguments.md``;
* the ``Cmdline`` type: crate ``linux-kernel-cmdline`` 0.1.1 (bootc's Cargo.lock), repository
  bootc-dev/linux-kernel-cmdline, ``src/bytes.rs`` and ``src/utf8.rs`` at commit
  4247d5ece6b23f2e01a3db7c9b1a3651487ada43; the same code as bootc's in-tree
  ``crates/kernel_cmdline/src/bytes.rs`` at ffc47fd0d14326ab2aac67b7924609436a4a28d2, the parent of
  the commit that replaced it with the published crate;
* the directory listing order: cap-std-ext 5.1.2 ``filenames_filtered_sorted`` (``str`` order), and
  ``Utf8Path::extension`` (camino, i.e. Rust's ``Path::extension``).

What is modelled: parsing and merging the files of one tree (:func:`kargs_in_root`, which is also
what ``bootc container inspect`` prints as ``kargs`` and what the ``bootc-kargs`` lint of
``bootc container lint`` parses), and the arguments a new ostree deployment gets on
``bootc upgrade``/``switch`` (:func:`upgrade_argv`, :func:`upgrade_options`).  What is not: ostree's
own handling of the override argv (it writes the BLS ``options`` line and replaces ``ostree=`` with
the new deployment's path), ``bootc install`` (install.rs, which also reads
``/usr/lib/bootc/install/*.toml``), and the composefs backend (``compute_new_kargs``).

Known divergence: bootc's ``toml`` crate is 1.1.4 (TOML 1.1); Python's ``tomllib`` reads TOML 1.0,
so a file using a TOML 1.1 addition (``\\xHH`` or ``\\e`` escapes, newlines or a trailing comma in an
inline table) is refused here and accepted by bootc.  Where the two differ, to our reading of
the source, the model is the stricter one.
"""

import os
import tomllib

BOOTC_REPOSITORY = "bootc-dev/bootc"
BOOTC_COMMIT = "534c76ea474a356aa288f6767635e579ea2614d5"
CMDLINE_REPOSITORY = "bootc-dev/linux-kernel-cmdline"
CMDLINE_COMMIT = "4247d5ece6b23f2e01a3db7c9b1a3651487ada43"

# bootc_kargs.rs KARGS_PATH
KARGS_PATH = "usr/lib/bootc/kargs.d"
# bootc_kargs.rs Config, with serde rename_all = "kebab-case"
CONFIG_FIELDS = ("kargs", "match-architectures")
# u8::is_ascii_whitespace (what CmdlineIterBytes splits on and trim_ascii_start strips): no \v
ASCII_WHITESPACE = " \t\n\x0c\r"


class KargsError(ValueError):
    """Where bootc would fail (an error or a panic) reading kargs.d."""


# --- linux-kernel-cmdline: Parameter and Cmdline ---------------------------------------------

def split_cmdline(text):
    """The raw parameters of a command line: ``CmdlineIterBytes::next`` (src/bytes.rs).

    Leading ASCII whitespace is skipped; a parameter ends at the first ASCII whitespace outside
    double quotes, every ``"`` toggling "inside quotes" (so an unclosed quote runs to the end).
    """
    params = []
    position, length = 0, len(text)
    while True:
        while position < length and text[position] in ASCII_WHITESPACE:
            position += 1
        if position >= length:
            return params
        start, in_quotes = position, False
        while position < length:
            char = text[position]
            if char == '"':
                in_quotes = not in_quotes
            if not in_quotes and char in ASCII_WHITESPACE:
                break
            position += 1
        params.append(text[start:position])


class Parameter(object):
    """One kernel parameter: ``Parameter::parse_internal`` and ``PartialEq``/``Ord`` of src/bytes.rs.

    ``raw`` is the parameter as written (what ``iter_str`` yields and ``add`` appends); ``key`` and
    ``value`` are dequoted: only a ``"`` at the very start and one at the very end are removed, the
    key is everything before the first ``=``, and one ``"`` right after the ``=`` is removed from
    the value.  ``value`` is None for a switch (no ``=``) and ``""`` for ``key=``.
    """

    __slots__ = ("raw", "key", "value")

    def __init__(self, raw):
        # Parameter::parse: the first parameter of the input, the rest discarded; None (here an
        # error) for an empty or all-whitespace input.
        parsed = split_cmdline(raw)
        if not parsed:
            raise ValueError("no parameter in %r" % raw)
        raw = parsed[0]
        self.raw = raw
        dequoted = raw[1:] if raw.startswith('"') else raw
        dequoted = dequoted[:-1] if dequoted.endswith('"') else dequoted
        key, equals, value = dequoted.partition("=")
        self.key = key
        if not equals:
            self.value = None
        else:
            self.value = value[1:] if value.startswith('"') else value

    @property
    def canonical_key(self):
        """``ParameterKey::iter``: dashes read as underscores; comparison stays case-sensitive."""
        return self.key.replace("-", "_")

    def _identity(self):
        # Option<&[u8]>: None sorts before Some; UTF-8 byte order is code point order.
        return (self.canonical_key, self.value is not None, self.value or "")

    def __eq__(self, other):
        """``PartialEq for Parameter``: same key (``-`` == ``_``) and same value; ``raw`` is not compared."""
        if not isinstance(other, Parameter):
            return NotImplemented
        return self.canonical_key == other.canonical_key and self.value == other.value

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __lt__(self, other):
        return self._identity() < other._identity()

    def __hash__(self):
        return hash((self.canonical_key, self.value))

    def __repr__(self):
        return "Parameter(%r)" % self.raw

    def __str__(self):
        return self.raw


class Cmdline(object):
    """``utf8::Cmdline`` (a wrapper of ``bytes::Cmdline``): the command line is kept as one string.

    Every operation works on that string exactly as the crate does, so the spelling of
    parameters and the separators that survive are the crate's.
    """

    def __init__(self, text=""):
        self.text = text or ""

    def iter(self):
        """``Cmdline::iter``: every parameter, parsed."""
        return [Parameter(raw) for raw in split_cmdline(self.text)]

    def iter_str(self):
        """``Cmdline::iter_str``: every parameter as written (what bootc hands to ostree)."""
        return split_cmdline(self.text)

    def find(self, key):
        """``Cmdline::find``: the first parameter whose key equals ``key`` (``-`` == ``_``)."""
        wanted = key.replace("-", "_")
        for param in self.iter():
            if param.canonical_key == wanted:
                return param
        return None

    def add(self, param):
        """``Cmdline::add``: append ``param`` unless an equal parameter is already there.

        A parameter with the same key and another value is appended (duplicate keys allowed:
        ``console=tty0 console=ttyS0``).  A space is put before it only when the line does not
        already end with ASCII whitespace; the parameter is appended as written (``raw``).
        Returns "Added" or "Existed" (``Action``).
        """
        param = _parameter(param)
        if any(existing == param for existing in self.iter()):
            return "Existed"
        if self.text and self.text[-1] not in ASCII_WHITESPACE:
            self.text += " "
        self.text += param.raw
        return "Added"

    def remove_exact(self, param):
        """``Cmdline::remove_exact``: drop every parameter equal to ``param`` (key ``-`` == ``_``, same value).

        When something was removed the line is rebuilt from the remaining parameters as written,
        joined by one space; otherwise it is left untouched.  Returns whether something was removed.
        """
        param = _parameter(param)
        kept, removed = [], False
        for existing in self.iter():
            if existing == param:
                removed = True
            else:
                kept.append(existing.raw)
        if removed:
            self.text = " ".join(kept)
        return removed

    def remove(self, key):
        """``Cmdline::remove``: drop every parameter with this key, whatever its value."""
        wanted = key.replace("-", "_")
        kept = [param.raw for param in self.iter() if param.canonical_key != wanted]
        if len(kept) == len(self.iter()):
            return False
        self.text = " ".join(kept)
        return True

    def extend(self, other):
        """``impl Extend for Cmdline``: :meth:`add` each parameter of ``other`` in order."""
        params = other.iter() if isinstance(other, Cmdline) else [_parameter(item) for item in other]
        for param in params:
            self.add(param)

    def __eq__(self, other):
        """``PartialEq for Cmdline``: the same parameters, as a multiset (order, quoting, ``-``/``_`` aside)."""
        if not isinstance(other, Cmdline):
            return NotImplemented
        return sorted(self.iter()) == sorted(other.iter())

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None

    def __str__(self):
        return self.text

    def __repr__(self):
        return "Cmdline(%r)" % self.text


def _parameter(value):
    return value if isinstance(value, Parameter) else Parameter(value)


# --- bootc_kargs.rs -------------------------------------------------------------------------------

def rust_extension(name):
    """``Path::extension`` of a file name (camino delegates to std): None for ``.toml``, ``toml`` for ``a.toml``.

    std's ``rsplit_file_at_dot``: ``..`` has none; otherwise the part after the last ``.``, unless
    nothing precedes that dot (a dot file such as ``.toml``).  ``..toml`` does have one (``toml``).
    """
    if name == "..":
        return None
    before, dot, after = name.rpartition(".")
    if not dot or before == "":
        return None
    return after


def filename_matches(name):
    """``Config::filename_matches``: the extension is exactly ``toml`` (case-sensitive)."""
    return rust_extension(name) == "toml"


def parse_kargs_toml(contents, arch="x86_64", name="<string>"):
    """``parse_kargs_toml``: the file's arguments as a :class:`Cmdline`, or None when its architectures do not match.

    serde ``deny_unknown_fields`` + ``rename_all = "kebab-case"``: the only keys are ``kargs``
    (required, an array of strings) and ``match-architectures`` (optional, an array of strings;
    ``match_architectures`` is an unknown key).  The file applies when ``match-architectures`` is
    absent or one entry equals ``arch`` exactly (Rust's ``std::env::consts::ARCH`` of the bootc
    binary: ``x86_64``, ``aarch64``, ``powerpc64``, ``s390x``..., never ``amd64`` or ``ppc64le``);
    an empty list matches nothing.  The strings are joined with one space and parsed as one
    command line (``Cmdline::from(kargs.join(" "))``), so ``"a b"`` is two arguments and an
    unbalanced quote swallows the following entries.
    """
    try:
        data = tomllib.loads(contents)
    except tomllib.TOMLDecodeError as exc:
        raise KargsError("Parsing %s: invalid TOML: %s" % (name, exc))
    for key in data:
        if key not in CONFIG_FIELDS:
            raise KargsError("Parsing %s: unknown field `%s`, expected `kargs` or `match-architectures`" % (name, key))
    if "kargs" not in data:
        raise KargsError("Parsing %s: missing field `kargs`" % name)
    for key in CONFIG_FIELDS:
        if key in data:
            value = data[key]
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise KargsError("Parsing %s: `%s` is not an array of strings: %r" % (name, key, value))
    arches = data.get("match-architectures")
    if arches is not None and not any(entry == arch for entry in arches):
        return None
    return Cmdline(" ".join(data["kargs"]))


def _kargs_dir(root):
    return os.path.join(root, KARGS_PATH)


def _read_kargs_dir(folder, arch, from_commit):
    """The merged arguments of the ``*.toml`` files of ``folder`` (which exists and is a directory)."""
    merged = Cmdline()
    names = []
    for name in os.listdir(folder):
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            if from_commit:
                continue  # get_kargs_from_ostree: name.to_str() is None -> continue
            # get_kargs_in_root lists through cap_std fs_utf8: DirEntry::file_name()? fails
            raise KargsError("%s: file name %r is not UTF-8" % (folder, name))
        if filename_matches(name):
            names.append(name)
    # filenames_filtered_sorted: String order; an ostree dirtree lists its files sorted by name too.
    for name in sorted(names, key=lambda item: item.encode("utf-8")):
        path = os.path.join(folder, name)
        if os.path.islink(path):
            if from_commit:
                # get_kargs_from_ostree: Repo::load_file gives no content stream for a symlink; .unwrap() panics
                raise KargsError("%s: a symlink in the new image's kargs.d: bootc panics reading it" % path)
            # get_kargs_in_root reads through a cap-std Dir of kargs.d itself: a link may not leave it
            inside = os.path.realpath(folder)
            if not os.path.realpath(path).startswith(inside + os.sep):
                raise KargsError("%s: a symlink leading out of kargs.d: cap-std refuses to follow it" % path)
        if not os.path.isfile(path):
            raise KargsError("%s: not a regular file (or a dangling link): bootc cannot read it" % path)
        with open(path, "rb") as handle:
            raw = handle.read()
        try:
            contents = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise KargsError("%s: not UTF-8 (read_to_string fails): %s" % (path, exc))
        parsed = parse_kargs_toml(contents, arch, name)
        if parsed is not None:
            merged.extend(parsed)
    return merged


def kargs_cmdline_in_root(root, arch="x86_64"):
    """``get_kargs_in_root`` as a :class:`Cmdline` (see :func:`kargs_in_root`)."""
    folder = _kargs_dir(root)
    if not os.path.exists(folder):
        return Cmdline()  # open_dir_optional: NotFound is fine
    if not os.path.isdir(folder):
        raise KargsError("%s: not a directory" % folder)  # lints.rs test_kargs: a file there is an error
    return _read_kargs_dir(folder, arch, from_commit=False)


def kargs_in_root(root, arch="x86_64"):
    """``get_kargs_in_root`` (bootc_kargs.rs): the merged kernel arguments of ``<root>/usr/lib/bootc/kargs.d``.

    No directory: no arguments.  Only names whose extension is exactly ``toml`` are read, in
    file-name order (byte order: ``10-a.toml`` before ``9-b.toml``); each file is parsed by
    :func:`parse_kargs_toml` and its arguments are added with ``Cmdline::extend``, i.e.
    ``add``: an argument equal to one already merged (same key, ``-`` == ``_``, same value) is
    dropped, so duplicates across and inside files collapse to the first spelling.  Returns the
    arguments as written (``iter_str``), the list ``bootc container inspect`` prints as ``kargs``.
    Raises :class:`KargsError` where bootc fails: invalid TOML, unknown key, ``kargs`` missing or
    not an array of strings, a file that cannot be read as UTF-8 text, a non-UTF-8 file name,
    ``kargs.d`` not a directory.
    """
    return kargs_cmdline_in_root(root, arch).iter_str()


def _kargs_in_new_image(root, arch):
    """``get_kargs`` reading the pending image's commit: None when its tree has no ``kargs.d``.

    ``fetched_tree.query_exists``, then ``get_kargs_from_ostree``: the same parsing as
    :func:`kargs_in_root`, over the files of the commit (an ostree dirtree, listed sorted by name),
    where a symlinked ``*.toml`` makes bootc panic and a non-UTF-8 name is skipped.
    """
    folder = _kargs_dir(root)
    if not os.path.lexists(folder):
        return None
    if os.path.islink(folder) or not os.path.isdir(folder):
        raise KargsError("%s: not a directory in the new image" % folder)
    return _read_kargs_dir(folder, arch, from_commit=True)


def compute_apply_kargs_diff(existing, remote, new_kargs):
    """``compute_apply_kargs_diff``: apply the change between two kargs.d sets to ``new_kargs`` in place.

    added = the arguments of ``remote`` equal to none of ``existing``; removed = those of
    ``existing`` equal to none of ``remote`` (Parameter equality: ``-`` == ``_`` in the key, exact
    value).  Every removed argument is taken out of ``new_kargs`` with ``remove_exact`` (all its
    occurrences, a machine-local copy included), then every added one is appended with ``add``
    (nothing if an equal argument is already there).  Arguments in neither set (machine-local ones,
    ``root=``, ``ostree=``...) are kept where they are.
    """
    existing_params, remote_params = existing.iter(), remote.iter()
    added = [param for param in remote_params if not any(param == old for old in existing_params)]
    removed = [param for param in existing_params if not any(param == new for new in remote_params)]
    for param in removed:
        new_kargs.remove_exact(param)
    for param in added:
        new_kargs.add(param)
    return new_kargs


def upgrade_cmdline(booted_options, old_root, new_root, arch="x86_64"):
    """``get_kargs`` (bootc_kargs.rs) as a :class:`Cmdline`; see :func:`upgrade_argv`."""
    kargs = Cmdline(booted_options or "")  # bootconfig "options", unwrap_or_default()
    existing = kargs_cmdline_in_root(old_root, arch)
    remote = _kargs_in_new_image(new_root, arch)
    if remote is None:
        # "if there's no kargs.d directory in the pending (fetched) image, then we can just use the
        # combined current kargs + kargs from booted"
        kargs.extend(existing)
        return kargs
    return compute_apply_kargs_diff(existing, remote, kargs)


def upgrade_argv(booted_options, old_root, new_root, arch="x86_64"):
    """The kernel arguments bootc stages for the new deployment of ``bootc upgrade``/``switch``.

    ``get_kargs`` (bootc_kargs.rs), called by ``deploy()`` (deploy.rs) with the merge deployment
    (the booted one): start from that deployment's BLS ``options`` (``booted_options``, e.g. the
    ``options`` line of /boot/loader/entries/ostree-1-*.conf, ``ostree=`` included); read the
    kargs.d of the merge deployment's root (``old_root``, :func:`kargs_in_root`); then

    * when the new image (``new_root``) has no ``usr/lib/bootc/kargs.d`` at all, ``extend`` the
      options with the old root's kargs.d arguments (those not already there are appended; nothing
      is removed, even arguments the old image's kargs.d had);
    * otherwise :func:`compute_apply_kargs_diff` of the old and new kargs.d sets on the options
      (an empty kargs.d directory removes every argument the old one had).

    Returns the list ``deploy()`` passes to ostree as ``override_kernel_argv``
    (``Cmdline::iter_str``: each argument as written).
    """
    return upgrade_cmdline(booted_options, old_root, new_root, arch).iter_str()


def upgrade_options(booted_options, old_root, new_root, arch="x86_64"):
    """The new deployment's ``options``: :func:`upgrade_argv` joined by single spaces.

    ostree writes that argv into the new BLS entry; it replaces the value of ``ostree=`` with the
    new deployment's boot path, which this model leaves as it was in ``booted_options``.
    """
    return " ".join(upgrade_argv(booted_options, old_root, new_root, arch))
