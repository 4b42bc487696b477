"""Learned content judgement: two linear models over normalised transcript text, scored with numpy.

Pure (no SIP, database or HTTP). Training lives in :mod:`screening.learned.train` and is the only place that
imports scikit-learn; screening loads exported weights (:mod:`screening.learned.model`) so ``serve`` stays lean.
"""
