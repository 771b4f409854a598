"""A learned line labeller beside the local extractor's rules (issue 11).

`features` turns each line into named features, `model` loads and checks the
committed model file and scores lines, `training` (development only, needs
scikit-learn) fits it from a generated corpus.
"""
