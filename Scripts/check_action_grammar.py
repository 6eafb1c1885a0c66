#!/usr/bin/env python3
"""The constrained-decoding property on the real model: 200 random prompts through
`funnel llm chat --grammar action --temperature 1` (SmolLM2-135M, max 48 tokens, seeds 0..199).
Every reply the grammar accepted must match ECPO's action pattern; a reply cut by the token
limit (reported incomplete on stderr) must still be a prefix the grammar allows. Needs a release
build and the model cache (Scripts/fetch-language-models.sh); takes about 4 minutes on 2 cores.

    swift build -c release --product funnel && python3 Scripts/check_action_grammar.py 200
"""
import random, re, subprocess, json, sys
random.seed(7)
words = "film music jazz guitar space robot love war comedy horror night summer book chef travel history science kids dog ocean mountain".split()
pattern = re.compile(r"^(Ask|Recommend|Response|Search)\[[^\[\]]+\]\Z")
valid = complete = 0
bad = []
n = int(sys.argv[1])
for i in range(n):
    prompt = " ".join(random.choice(words) for _ in range(random.randint(3, 12))) + random.choice(["?", ".", "!", ""])
    out = subprocess.run([".build/release/funnel", "llm", "chat", "--grammar", "action", "--temperature", "1", "--seed", str(i), "--max-tokens", "48",
                          "--system", "You are a recommender. Reply with one action: Ask[...], Recommend[...], Response[...] or Search[...].", prompt],
                         capture_output=True, text=True)
    text = out.stdout.rstrip("\n")
    incomplete = "before the grammar accepted it" in out.stderr
    if incomplete:
        # an incomplete reply must still be a prefix the grammar allows: no closing bracket inside, starts with an action name
        ok_prefix = re.match(r"^(Ask|Recommend|Response|Search)(\[[^\[\]]*)?$", text) is not None
        if not ok_prefix: bad.append(("prefix", prompt, text))
    else:
        complete += 1
        if pattern.match(text): valid += 1
        else: bad.append(("complete", prompt, text))
print(json.dumps({"prompts": n, "complete": complete, "valid_complete": valid, "incomplete": n - complete, "violations": len(bad), "examples": bad[:3]}))
