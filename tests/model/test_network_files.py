"""Network files: edge lists that never invent citizens, GraphML, and one-line errors.

Every bad file gives a NetworkFileError (an InputError: exit status 2 on the command line)
with one line naming the file (and line). A Hypothesis property fuzzes the edge-list reader:
it returns a network whose citizens are all names written in the text, or refuses.
"""

import codecs
import contextlib
import hashlib
import re
import tempfile
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spiral.model.errors import InputError
from spiral.model.networks import (
    NetworkFileError,
    build_edges,
    read_network_edges,
    read_network_file,
)
from spiral.model.params import Params


def _write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def _ties(edges):
    return {frozenset((edges.labels[a], edges.labels[b]))
            for a, b in zip(edges.u.tolist(), edges.v.tolist(), strict=True)}


def _refused(path, *pieces):
    with pytest.raises(NetworkFileError) as info:
        read_network_edges(path)
    message = str(info.value)
    assert isinstance(info.value, InputError)
    assert "\n" not in message, "one line"
    assert message.startswith(str(path)), "names the file"
    for piece in pieces:
        assert piece in message, message
    return message


# --- edge lists read right ---------------------------------------------------------------------
@pytest.mark.parametrize(("name", "content", "labels", "ties"), [
    ("bom.csv", "\ufeffa,b\nb,c\n", ["a", "b", "c"], {("a", "b"), ("b", "c")}),
    ("bom-header.csv", "\ufeffsource,target\n1,2\n", ["1", "2"], {("1", "2")}),
    ("from_id.csv", "from_id,to_id\n1,2\n2,3\n", ["1", "2", "3"], {("1", "2"), ("2", "3")}),
    ("semicolons.csv", "source;target\nann;bob\nbob;cy\n", ["ann", "bob", "cy"],
     {("ann", "bob"), ("bob", "cy")}),
    ("semicolons-numbers.csv", "1;2\n2;3\n3;4\n", ["1", "2", "3", "4"],
     {("1", "2"), ("2", "3"), ("3", "4")}),
    ("decimal-commas.csv", "1;2;0,5\n2;3;1,5\n", ["1", "2", "3"], {("1", "2"), ("2", "3")}),
    ("letters.csv", "a,b\nb,c\n", ["a", "b", "c"], {("a", "b"), ("b", "c")}),
    ("person.csv", "Person A,Person B\nAnn Smith,Bob Jones\n", ["Ann Smith", "Bob Jones"],
     {("Ann Smith", "Bob Jones")}),
    ("names.tsv", "Ann Smith\tBob Jones\nBob Jones\tCy Young\n",
     ["Ann Smith", "Bob Jones", "Cy Young"], {("Ann Smith", "Bob Jones"),
                                              ("Bob Jones", "Cy Young")}),
    ("quoted.csv", 'name1,name2\n"Smith, J","Doe, A"\n', ["Smith, J", "Doe, A"],
     {("Smith, J", "Doe, A")}),
    ("weights.txt", "# comment\n1 2 0.5\n2  3 1.0   # friends\n\n3 1 2\n", ["1", "2", "3"],
     {("1", "2"), ("2", "3"), ("1", "3")}),
    ("snap.tsv", "# FromNodeId\tToNodeId\n0\t1\n1\t2\n", ["0", "1", "2"],
     {("0", "1"), ("1", "2")}),
    ("crlf.csv", "u,v\r\n7,8\r\n8,9\r\n", ["7", "8", "9"], {("7", "8"), ("8", "9")}),
    ("self-loop.csv", "a,a\na,b\n", ["a", "b"], {("a", "b")}),
    ("repeats.csv", "a,b\nb,a\na,b\n", ["a", "b"], {("a", "b")}),
])
def test_edge_lists_are_read_without_inventing_citizens(tmp_path, name, content, labels, ties):
    edges = read_network_edges(_write(tmp_path, name, content))
    assert edges.labels == labels
    assert _ties(edges) == {frozenset(t) for t in ties}


@pytest.mark.parametrize(("name", "content", "where", "pieces"), [
    ("tab-after-spaces.txt", "1 2\n3 4\t0.5\n5 6\n", 2, ["a tab", "separated by spaces"]),
    ("tabs-then-spaces.tsv", "1\t2\n2\t3\n3 4\n", 3, ["separated by tabs"]),
    ("run-together.tsv", "1 2\t0.5\n2 3\t0.5\n", 1, ["several ids run together"]),
    ("comma-in-space-file.txt", "1 2\n3 4\n5,6 7\n", 3, ["several ids run together"]),
    ("lonely.txt", "a b\nlonely\n", 2, ["expected two node names separated by spaces"]),
    ("empty-name.csv", "a,b\n,c\n", 2, ["an empty name"]),
    ("semicolon-short.csv", "1;2\n2;3\n4\n", 3, ["separated by semicolons"]),
    ("bad-quote.csv", 'a,b\n"c"d,e\n', 2, ["broken quoting"]),
    ("invisible.csv", "a,b\nb\u200b,c\n", 2, ["U+200B"]),
])
def test_lines_that_do_not_give_two_names_are_errors_at_their_line(tmp_path, name, content,
                                                                   where, pieces):
    path = _write(tmp_path, name, content)
    _refused(path, f"{path}:{where}:", *pieces)


def test_a_header_only_recognised_when_its_words_are_not_names_in_the_file(tmp_path):
    # "a,b" looks like a header, but a and b are citizens below: the first line is a tie
    edges = read_network_edges(_write(tmp_path, "ab.csv", "a,b\nb,c\nc,a\n"))
    assert len(_ties(edges)) == 3
    # a numeric first line under numeric ids is data
    edges = read_network_edges(_write(tmp_path, "num.csv", "5,6\n6,7\n"))
    assert edges.labels == ["5", "6", "7"]
    # forced either way
    forced = read_network_edges(_write(tmp_path, "force.csv", "x,y\ny,z\n"), header=True)
    assert forced.labels == ["y", "z"]
    kept = read_network_edges(_write(tmp_path, "keep.csv", "source,target\n1,2\n"),
                              header=False)
    assert kept.labels == ["source", "target", "1", "2"]
    spaced = read_network_edges(_write(tmp_path, "sep.txt", "a;b c;d\n"), separator=" ")
    assert spaced.labels == ["a;b", "c;d"]


@pytest.mark.parametrize(("name", "content", "pieces"), [
    ("empty.csv", "", ["no ties found"]),
    ("comments.csv", "# nothing\n# here\n", ["no ties found"]),
    ("header-only.csv", "source,target\n", ["no ties found", "reads as a header"]),
    ("loops.csv", "a,a\nb,b\n", ["no ties found"]),
    ("latin1.csv", "a,b\nJos\xe9,b\n".encode("latin-1"),
     ["not UTF-8 text", "byte 0xe9 at byte offset 7", "save the file as UTF-8"]),
    ("utf16.csv", "a,b\n".encode("utf-16"), ["not UTF-8", "UTF-16", "byte offset 0"]),
    ("karate.txt", 'Creator "Mark Newman on Fri Jul 21 12:39:27 2006"\ngraph\n[\n  directed 0\n'
     "  node\n  [\n    id 1\n  ]\n]\n", ["GML is not an edge list; convert it or use GraphML"]),
    ("written.txt", "graph [\n  node [\n    id 0\n  ]\n]\n", ["GML is not an edge list"]),
    ("net.gml", "anything", ["GML is not an edge list"]),
    ("page.txt", "<html><body>1,2</body></html>", ["not a valid GraphML file"]),
])
def test_unreadable_files_are_refused_in_one_line(tmp_path, name, content, pieces):
    _refused(_write(tmp_path, name, content), *pieces)


def test_a_missing_file_is_refused(tmp_path):
    _refused(tmp_path / "missing.csv", "network file not found")


def test_the_byte_offset_counts_the_bom(tmp_path):
    path = _write(tmp_path, "bom-latin.csv", codecs.BOM_UTF8 + b"a,b\n\xff,c\n")
    _refused(path, "byte 0xff at byte offset 7")


# --- GraphML -----------------------------------------------------------------------------------
def _graphml(tmp_path, name, graph):
    path = tmp_path / name
    nx.write_graphml(graph, path)
    return path


def test_graphml_is_read_with_names_and_repeated_ties_collapsed(tmp_path):
    graph = nx.MultiGraph()
    graph.add_edges_from([("ann", "bob"), ("bob", "ann"), ("bob", "cy"), ("cy", "cy")])
    graph.add_node("dee")  # a declared citizen without ties is kept
    edges = read_network_edges(_graphml(tmp_path, "net.graphml", graph))
    assert edges.labels == ["ann", "bob", "cy", "dee"]
    assert _ties(edges) == {frozenset(("ann", "bob")), frozenset(("bob", "cy"))}
    assert edges.generator == "GraphML"


def test_a_directed_graphml_is_refused_with_how_to_symmetrise(tmp_path):
    path = _graphml(tmp_path, "follows.graphml", nx.DiGraph([("a", "b"), ("b", "c")]))
    _refused(path, "directed GraphML", "symmetrise", 'edgedefault="undirected"')


def test_a_graphml_without_ties_is_refused_like_an_edge_list(tmp_path):
    graph = nx.Graph()
    graph.add_nodes_from(["a", "b", "c"])
    _refused(_graphml(tmp_path, "lonely.graphml", graph), "no ties found")
    loops = nx.Graph([("a", "a")])
    _refused(_graphml(tmp_path, "loops.graphml", loops), "no ties found")


def test_broken_graphml_is_refused_in_one_line(tmp_path):
    path = _write(tmp_path, "broken.graphml", "<graphml><graph><node id='a'/>")
    _refused(path, "not a valid GraphML file")


def test_graphml_given_with_another_suffix_is_still_read(tmp_path):
    path = _graphml(tmp_path, "net.txt", nx.path_graph(["a", "b", "c"]))
    assert read_network_edges(path).labels == ["a", "b", "c"]


# --- the realised network ----------------------------------------------------------------------
def test_a_file_run_records_its_size_name_and_sha256(tmp_path):
    graph = nx.barabasi_albert_graph(300, 3, seed=1)
    path = tmp_path / "friends.csv"
    path.write_text("".join(f"p{a},p{b}\n" for a, b in graph.edges()), encoding="utf-8")
    edges = build_edges(Params(network="file", network_file=str(path)),
                        np.random.default_rng(0))
    d = edges.describe()
    assert d == {"citizens": 300, "ties": graph.number_of_edges(),
                 "mean_degree": round(2 * graph.number_of_edges() / 300, 6),
                 "generator": "edge list", "file": "friends.csv",
                 "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    g = read_network_file(path)
    assert g.number_of_nodes() == 300 and g.nodes[0]["label"] == "p0"


def test_engine_records_the_file_network(tmp_path):
    from spiral.model.engine import ArrayEngine

    path = _write(tmp_path, "edges.tsv", "x\ty\ny\tz\nz\tw\n")
    engine = ArrayEngine(Params(network="file", network_file=str(path), ticks=1), seed=1)
    assert engine.network["citizens"] == 4 and engine.network["file"] == "edges.tsv"
    assert engine.labels == ["x", "y", "z", "w"]


# --- fuzzing -----------------------------------------------------------------------------------
ALPHABET = [*"0123456789abcAB", ",", ";", "\t", " ", "  ", "#", "\ufeff", "\n", "\r\n",
            "\r", '"', "<", "[", "graph", "\u200b"]


def _fields(text: str) -> tuple[set[str], set[frozenset]]:
    """Every field and first-two-field pair a line gives under any separator or quoting."""
    import csv

    fields, pairs = set(), set()
    for raw in re.split(r"\r\n|\r|\n", text.removeprefix("\ufeff")):
        line = raw.split("#", 1)[0].strip()
        splits = [line.split("\t"), line.split(","), line.split(";"), line.split(" ")]
        for sep in ",;":
            with contextlib.suppress(csv.Error, StopIteration):
                splits.append(next(csv.reader([line], delimiter=sep, skipinitialspace=True)))
        for parts in splits:
            parts = [p.strip() for p in parts if p.strip()]
            fields.update(parts)
            if len(parts) >= 2:
                pairs.add(frozenset(parts[:2]))
    return fields, pairs


@st.composite
def edge_list_texts(draw):
    """Mostly edge-list-like texts (a main separator, some lines with another, comments,
    BOMs, quotes), some plain noise from the alphabet.
    """
    if draw(st.integers(0, 3)) == 0:
        return "".join(draw(st.lists(st.sampled_from(ALPHABET), max_size=60)))
    clean = st.text(alphabet="0123456789abAB", min_size=1, max_size=3)
    noisy = st.text(alphabet="0123456789abAB\ufeff\u200b\"# ", min_size=0, max_size=3)
    token = st.one_of(*[clean] * 12, noisy)
    main = draw(st.sampled_from([",", ";", "\t", " "]))
    sep = st.one_of(*[st.just(main)] * 12, st.sampled_from([",", ";", "\t", " ", "  ", ", "]))
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        size = draw(st.sampled_from([2] * 16 + [1, 3, 4]))
        parts = [draw(token) for _ in range(size)]
        line = parts[0] + "".join(draw(sep) + p for p in parts[1:])
        if draw(st.booleans()) and draw(st.booleans()):
            line += draw(st.sampled_from([" # note", "#", "\t", " "]))
        lines.append(line)
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return draw(st.sampled_from(["", "\ufeff"])) + newline.join(lines)


@settings(max_examples=200, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(edge_list_texts(), st.sampled_from([".csv", ".txt", ".tsv"]))
def test_fuzzed_edge_lists_give_only_written_names_or_a_file_error(text, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_text(text, encoding="utf-8", newline="")
        try:
            edges = read_network_edges(path)
        except NetworkFileError as exc:
            assert "\n" not in str(exc) and str(exc).startswith(str(path))
            return
    fields, pairs = _fields(text)
    assert edges.labels, "a network has citizens"
    for label in edges.labels:
        assert label in fields, f"invented citizen {label!r} from {text!r}"
        assert label == label.strip() and "#" not in label and "\n" not in label
    for tie in _ties(edges):
        assert tie in pairs, f"invented tie {set(tie)} from {text!r}"
    assert edges.u.size > 0 and (edges.u < edges.v).all()


@settings(max_examples=100, derandomize=True, deadline=None)
@given(st.binary(max_size=80))
def test_fuzzed_bytes_are_read_or_refused_as_a_file_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(data)
        try:
            edges = read_network_edges(path)
        except NetworkFileError as exc:
            assert "\n" not in str(exc)
            return
    assert edges.u.size > 0
