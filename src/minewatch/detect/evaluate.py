"""Figures of the behavioural model on labelled conversations (detect.dataset tables): confusion
matrix, recall of TLS-pool miners and of all miners, false positives per non-mining conversation."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

LONG_S = 300.0  # "long-lived": the conversations a keepalive look-alike or a miner makes


def figures(table: pa.Table, flagged: np.ndarray) -> dict:
    """Counts and rates of `flagged` (bool per row) against the rows' labels (null labels are
    left out). Keys: tp, fn, fp, tn, negatives, long_negatives, long_fp, lookalikes,
    lookalike_fp, tls_miners, tls_found, recall, tls_recall, fp_rate, fp_kinds."""
    y = table["label"].to_numpy(zero_copy_only=False)
    known = ~np.isnan(y.astype(np.float64))
    y, flagged = y[known].astype(int), np.asarray(flagged, bool)[known]
    kind = table["kind"].to_numpy(zero_copy_only=False)[known]
    long_ = table["duration_s"].to_numpy(zero_copy_only=False)[known] >= LONG_S
    pos, neg, tls = y == 1, y == 0, kind == "miner-tls"
    look = np.char.startswith(kind.astype(str), "lookalike:")
    fp = neg & flagged
    return {"tp": int((pos & flagged).sum()), "fn": int((pos & ~flagged).sum()),
            "fp": int(fp.sum()), "tn": int((neg & ~flagged).sum()),
            "negatives": int(neg.sum()), "long_negatives": int((neg & long_).sum()),
            "long_fp": int((fp & long_).sum()), "lookalikes": int(look.sum()),
            "lookalike_fp": int((look & flagged).sum()), "tls_miners": int(tls.sum()),
            "tls_found": int((tls & flagged).sum()),
            "recall": _ratio((pos & flagged).sum(), pos.sum()),
            "tls_recall": _ratio((tls & flagged).sum(), tls.sum()),
            "fp_rate": _ratio(fp.sum(), neg.sum()),
            "fp_kinds": dict(zip(*(a.tolist() for a in np.unique(kind[fp], return_counts=True))))}


def _ratio(a, b) -> float:
    return float(a) / float(b) if b else float("nan")


def confusion_text(f: dict) -> str:
    """The confusion matrix as four aligned lines of text."""
    w = max(len(f"{f[k]:,d}") for k in ("tp", "fn", "fp", "tn")) + 2
    return "\n".join([f"{'':>12}{'flagged':>{w}}{'not flagged':>{w + 4}}",
                      f"{'mining':>12}{f['tp']:>{w},d}{f['fn']:>{w + 4},d}",
                      f"{'not mining':>12}{f['fp']:>{w},d}{f['tn']:>{w + 4},d}"])
