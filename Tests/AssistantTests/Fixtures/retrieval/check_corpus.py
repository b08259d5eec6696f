#!/usr/bin/env python3
"""Checks the retrieval fixtures: every question names a document that exists, every answer is an
exact substring (10-80 characters) of its document, documents are 150-600 words, and each
question's "kind" matches how many words it shares with the line that holds its answer.

    python3 Tests/AssistantTests/Fixtures/retrieval/check_corpus.py [-v]

Exits 1 with the problems listed; -v prints each question's shared words.
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STOP = set("""a an the and or of to in on at for from by with without is are was were be been it its
this that these those what which who whom how why when where do does did can could should would will
i we you he she they me my our your their us them there here any anything some so if not no than
then as into out up down off over about after before again just all one two get got has have had
may must need needs much many too very still only also first long far""".split())


def words(text):
    return {w[:5] for w in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower())
            if w not in STOP and len(w) > 1}


def main():
    verbose = "-v" in sys.argv
    with open(os.path.join(HERE, "questions.json"), encoding="utf-8") as f:
        questions = json.load(f)
    docs = sorted(n for n in os.listdir(HERE) if n.endswith((".md", ".txt")) and n != "README.md")
    problems = []
    for name in docs:
        with open(os.path.join(HERE, name), encoding="utf-8") as f:
            count = len(f.read().split())
        if not 150 <= count <= 600:
            problems.append(f"{name}: {count} words, expected 150-600")
    asked = set()
    for i, q in enumerate(questions):
        where = f"question {i} ({q.get('question', '')[:40]!r})"
        if set(q) - {"question", "document", "answer", "kind"} or not {"question", "document", "answer"} <= set(q):
            problems.append(f"{where}: keys {sorted(q)}")
            continue
        if q["document"] not in docs:
            problems.append(f"{where}: no document {q['document']!r}")
            continue
        with open(os.path.join(HERE, q["document"]), encoding="utf-8") as f:
            text = f.read()
        if not 10 <= len(q["answer"]) <= 80:
            problems.append(f"{where}: answer is {len(q['answer'])} characters, expected 10-80")
        at = text.find(q["answer"])
        if at < 0:
            problems.append(f"{where}: answer not found in {q['document']}")
            continue
        asked.add(q["document"])
        line = text[text.rfind("\n", 0, at) + 1:text.find("\n", at + len(q["answer"]))]
        shared = words(q["question"]) & words(line)
        kind = q.get("kind")
        if kind == "semantic" and len(shared) > 1:
            problems.append(f"{where}: kind semantic but shares {sorted(shared)} with its line")
        if kind == "exact-term" and not any(re.search(r"[A-Z]+-?\d", t) for t in
                                            re.findall(r"\S+", q["question"]) if t.strip("?.,") in text):
            problems.append(f"{where}: kind exact-term but no code of its document in the question")
        if verbose:
            print(f"{kind or '-':10} {len(shared)} {sorted(shared)}  {q['question']}")
    unasked = [d for d in docs if d not in asked]
    kinds = {}
    for q in questions:
        kinds[q.get("kind")] = kinds.get(q.get("kind"), 0) + 1
    if problems:
        print("check_corpus: FAILED\n  " + "\n  ".join(problems))
        sys.exit(1)
    print(f"check_corpus: {len(docs)} documents, {len(questions)} questions {kinds}, all answers found"
          + (f"; documents with no question: {', '.join(unasked)}" if unasked else ""))


if __name__ == "__main__":
    main()
