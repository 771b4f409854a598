"""The sections of a CV read by the local rules with the line model's opinion:
segmentation into sections, entry headers, work and education entries.

They sit above both `local_rules` (the rules alone) and `learned` (the line
model, whose features use the rules' word detectors), so neither of those
imports anything from here and the three make no cycle.
"""
