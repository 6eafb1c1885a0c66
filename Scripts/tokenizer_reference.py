#!/usr/bin/env python3
"""Reference token ids for Funnel's tokenizers, from independent implementations.

SmolLM2-135M-Instruct (byte-level BPE): a Hugging Face `tokenizers` BPE is built from the
GGUF's `tokenizer.ggml.tokens` / `tokenizer.ggml.merges` (read with the `gguf` package) with
the pre-tokenizer that `tokenizer.ggml.pre = "smollm"` names: every digit isolated, then the
GPT-2 byte-level regex (this is the `pre_tokenizer` of SmolLM2's own tokenizer.json). It is
cross-checked against `transformers.AutoTokenizer.from_pretrained(..., gguf_file=...)` where
that loads. The chat prompt comes from rendering the GGUF's `tokenizer.chat_template` with
jinja2 (what `apply_chat_template` does).

all-MiniLM-L6-v2 (BERT uncased WordPiece): `transformers.BertTokenizer(vocab.txt,
do_lower_case=True)`.

Writes only the committed test fixtures (nothing into the model cache; the Swift tests read
the GGUF and vocab.txt themselves):
  Tests/FunnelLanguageTests/Fixtures/tokenizer/smollm2-reference.json  (hand-picked texts, chats)
  Tests/FunnelLanguageTests/Fixtures/tokenizer/minilm-reference.json   (hand-picked texts)
  Tests/FunnelLanguageTests/Fixtures/tokenizer/smollm2-random.json and
  Tests/FunnelLanguageTests/Fixtures/tokenizer/minilm-random.json      (ids of RANDOM_COUNT
      random mixtures of scripts, digits, whitespace kinds, emoji and special tokens, seed 22:
      a differential check; about 100 KB each)

To regenerate (after a change to the texts, RANDOM_COUNT or the models):
  pip install gguf tokenizers transformers jinja2      # no torch needed
  Scripts/fetch-language-models.sh                     # fills the model cache
  python3 Scripts/tokenizer_reference.py [GGUF_PATH VOCAB_TXT_PATH]
then commit the changed fixtures. The paths default to the model cache's SmolLM2 GGUF and
all-MiniLM-L6-v2 vocab.txt, the cache being ${FUNNEL_MODEL_CACHE:-$HOME/.cache/funnel/models}.
"""
import json
import os
import sys

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPOSITORY, "Tests", "FunnelLanguageTests", "Fixtures", "tokenizer")
RANDOM_COUNT = 500
CACHE = os.environ.get("FUNNEL_MODEL_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "funnel", "models")

SMOLLM_TEXTS = [
    "Hello, world! This is SmolLM2 speaking.",
    "def add(a, b):\n    return a + b  # it's a sum, isn't it?\n",
    "Numbers: 12345 678, 3.14159 and -42; also ٣٤ and ²³.",
    "spaces:  two,   three,\t tab,    \n\n\nand trailing   ",
    "line one\nline two\r\n\nline four\n",
    "Grüße aus München: Äpfel, Öl und Übermaß — straße.",
    "中文分词测试：我们今天去北京大学。",
    "日本語のテキスト、カタカナとひらがな。",
    "مرحبا بالعالم، هذا اختبار.",
    "Emoji: 😀👍🏽 👩‍💻 family 👨‍👩‍👧 flags 🇩🇪🇯🇵 done",
    "<|im_start|>user\nHi there<|im_end|>\n<|endoftext|> and <|im_start|> inline",
    "Contractions: I'm, you're, we've, they'll, he'd, it's, DON'T ''quoted''",
]

MINILM_TEXTS = [
    "Hello, world! This is a sentence embedder.",
    "The quick brown fox jumps over the lazy dog.",
    "Grüße aus München: Äpfel, Öl und Übermaß — straße. Café naïve résumé.",
    "中文分词测试：我们今天去北京大学。",
    "日本語のテキスト、カタカナとひらがな。",
    "Numbers 12345 678 and 3.14159; e-mail: someone@example.com!",
    "Unbelievably antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
    "Tabs\tand\nnewlines\r\n and   runs of   spaces",
    "Control\u0000chars\u0007and\ufffdreplacement and zero\u200bwidth",
    "Emoji 😀 and symbols ©®™ § ¶ † ‡ • … ‰",
    "x" * 120 + " long word",
    "مرحبا بالعالم، هذا اختبار.",
]

CHAT = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "Name two primes."},
    ],
]


RANDOM_PIECES = [
    "a", "Z", "hello", " world", "Straße", "é", "e\u0301", "ñ", "İ", "ǅ", "ß", "ﬁ",
    "0", "7", "42", "３", "²", "½", "Ⅻ", "٣", "੭",
    "'", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "\u2019s",
    ".", ",", "!", "?", "-", "_", "(", ")", "[", "]", "{", "}", "#", "@", "$", "%", "^", "&", "*", "=", "+", "/", "\\", "|", "~", "`", "\"",
    " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2028", "\u0085", "\u000b", "\u000c", "\u200b", "\u200d",
    "\u0000", "\u007f", "\u001b",
    "中", "文", "北京", "。", "，", "日本", "の", "カタカナ", "ー", "한국어", "ไทย", "मराठी", "عربي", "،", "עברית", "Ελλάδα", "Россия",
    "😀", "👍🏽", "👩‍💻", "🇩🇪", "🏳️‍🌈", "❤️", "©", "™", "→", "∑", "\U0001F9D1\u200D\U0001F91D\u200D\U0001F9D1",
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|im_start", "<repo_name>", "<", "|>",
]


def random_texts(count, seed):
    import random
    generator = random.Random(seed)
    texts = []
    for _ in range(count):
        pieces = [generator.choice(RANDOM_PIECES) for _ in range(generator.randint(1, 24))]
        texts.append("".join(pieces))
    return texts


def read_gguf_tokenizer(path):
    import gguf
    reader = gguf.GGUFReader(path)

    def value(key, default=None):
        field = reader.fields.get(key)
        return default if field is None else field.contents()

    return {
        "model": value("tokenizer.ggml.model"),
        "pre": value("tokenizer.ggml.pre"),
        "tokens": value("tokenizer.ggml.tokens"),
        "token_type": [int(t) for t in value("tokenizer.ggml.token_type")],
        "merges": value("tokenizer.ggml.merges"),
        "bos_token_id": value("tokenizer.ggml.bos_token_id"),
        "eos_token_id": value("tokenizer.ggml.eos_token_id"),
        "unknown_token_id": value("tokenizer.ggml.unknown_token_id"),
        "padding_token_id": value("tokenizer.ggml.padding_token_id"),
        "add_bos_token": value("tokenizer.ggml.add_bos_token"),
        "chat_template": value("tokenizer.chat_template"),
    }


def build_smollm_tokenizer(fields):
    from tokenizers import Tokenizer, AddedToken, decoders, models, pre_tokenizers
    if fields["pre"] != "smollm":
        raise SystemExit(f"tokenizer.ggml.pre is {fields['pre']!r}; this script knows 'smollm'")
    vocabulary = {token: index for index, token in enumerate(fields["tokens"])}
    merges = [tuple(merge.split(" ")) for merge in fields["merges"]]
    tokenizer = Tokenizer(models.BPE(vocab=vocabulary, merges=merges, fuse_unk=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tokenizer.decoder = decoders.ByteLevel()
    special = [AddedToken(fields["tokens"][i], special=True, normalized=False)
               for i, kind in enumerate(fields["token_type"]) if kind in (3, 4)]
    tokenizer.add_special_tokens(special)
    return tokenizer


def render_chat(template, messages, add_generation_prompt):
    import jinja2
    environment = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    return environment.from_string(template).render(messages=messages, add_generation_prompt=add_generation_prompt)


def transformers_cross_check(gguf_path, texts):
    """Ids from transformers' own GGUF conversion, or None where it does not load."""
    try:
        from transformers import AutoTokenizer
        tokenizer = AutoTokenizer.from_pretrained(os.path.dirname(gguf_path), gguf_file=os.path.basename(gguf_path))
        return [tokenizer.encode(text, add_special_tokens=False) for text in texts], tokenizer
    except Exception as error:  # noqa: BLE001 - a cross-check only
        print(f"transformers GGUF cross-check unavailable: {error}")
        return None, None


def main():
    if len(sys.argv) == 3:
        gguf_path, vocab_path = sys.argv[1], sys.argv[2]
    elif len(sys.argv) == 1:
        gguf_path = os.path.join(CACHE, "smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf")
        vocab_path = os.path.join(CACHE, "all-minilm-l6-v2", "vocab.txt")
    else:
        raise SystemExit(__doc__)
    os.makedirs(FIXTURES, exist_ok=True)

    fields = read_gguf_tokenizer(gguf_path)

    tokenizer = build_smollm_tokenizer(fields)
    ids = [tokenizer.encode(text).ids for text in SMOLLM_TEXTS]
    for text, row in zip(SMOLLM_TEXTS, ids):
        assert tokenizer.decode(row, skip_special_tokens=False) == text, text
    cross, hf = transformers_cross_check(gguf_path, SMOLLM_TEXTS)
    if cross is not None:
        disagreements = [text for text, a, b in zip(SMOLLM_TEXTS, ids, cross) if a != b]
        print(f"transformers GGUF tokenizer disagrees on {len(disagreements)} of {len(SMOLLM_TEXTS)} texts")
        for text in disagreements:
            print("  ", repr(text))

    chats = []
    for messages in CHAT:
        prompt = render_chat(fields["chat_template"], messages, True)
        if hf is not None:
            try:
                assert hf.apply_chat_template(messages, tokenize=False, add_generation_prompt=True) == prompt
            except (AssertionError, ValueError) as error:
                print(f"apply_chat_template differs or fails: {error!r}")
        chats.append({"messages": messages, "addGenerationPrompt": True, "prompt": prompt,
                      "ids": tokenizer.encode(prompt).ids})

    with open(os.path.join(FIXTURES, "smollm2-reference.json"), "w", encoding="utf-8") as out:
        json.dump({
            "source": "Scripts/tokenizer_reference.py: HF tokenizers BPE over the GGUF's tokens and merges, "
                      "pre-tokenizer Digits(individual) + ByteLevel regex; chat rendered with jinja2",
            "vocabularySize": len(fields["tokens"]),
            "encodings": [{"text": t, "ids": i} for t, i in zip(SMOLLM_TEXTS, ids)],
            "chats": chats,
        }, out, ensure_ascii=False, indent=1)

    from transformers import BertTokenizer
    bert = BertTokenizer(vocab_path, do_lower_case=True)
    minilm = []
    for text in MINILM_TEXTS:
        minilm.append({"text": text, "ids": bert.encode(text, add_special_tokens=True),
                       "tokens": bert.tokenize(text)})
    truncated = bert.encode(" ".join(["word"] * 300), add_special_tokens=True, truncation=True, max_length=256)
    with open(os.path.join(FIXTURES, "minilm-reference.json"), "w", encoding="utf-8") as out:
        json.dump({
            "source": "Scripts/tokenizer_reference.py: transformers.BertTokenizer(vocab.txt, do_lower_case=True)",
            "vocabularySize": len(bert.vocab),
            "encodings": minilm,
            "truncated": {"text": "word repeated 300 times", "maxLength": 256, "ids": truncated},
        }, out, ensure_ascii=False, indent=1)
    # A differential check over random mixtures, committed as fixtures.
    texts = random_texts(RANDOM_COUNT, seed=22)
    with open(os.path.join(FIXTURES, "smollm2-random.json"), "w", encoding="utf-8") as out:
        json.dump([{"text": t, "ids": tokenizer.encode(t).ids} for t in texts], out, ensure_ascii=False)
    with open(os.path.join(FIXTURES, "minilm-random.json"), "w", encoding="utf-8") as out:
        json.dump([{"text": t, "ids": bert.encode(t, add_special_tokens=True)} for t in texts], out, ensure_ascii=False)
    print("wrote", FIXTURES)

if __name__ == "__main__":
    main()
