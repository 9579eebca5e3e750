"""The objectivity detector's robustness suite (issue 31).

Synthetic regions written independently of ``shnor.core.demo`` (``variants``: school sizes, response
model, effect sizes, villages, lyceums; ``generator``; ``planting``: the behaviours), the detector
and FIOKO's markers run on them (``evaluate``), and one command, ``python -m shnor_bench.robustness``
(``cli``), that prints the recall / false-positive tables per variant, behaviour and size band.
"""
