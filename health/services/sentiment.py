"""Sentiment of feedback text: VADER (vaderSentiment, which ships its lexicon, so it works
offline). The compound score is in −1..1; VADER's own cut-offs name the label."""

from __future__ import annotations

from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

POSITIVE_FROM = 0.05  # VADER's documented thresholds on the compound score
NEGATIVE_UPTO = -0.05


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()  # loads the bundled lexicon once per process


def text_sentiment(text: str) -> float:
    """VADER's compound score of `text`, rounded to 3 decimals."""
    return round(_analyzer().polarity_scores(text or "")["compound"], 3)


def sentiment_label(score: float) -> str:
    if score >= POSITIVE_FROM:
        return "positive"
    if score <= NEGATIVE_UPTO:
        return "negative"
    return "neutral"
