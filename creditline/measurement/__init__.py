"""Measurement and verification maths (pure: no Flask, no database).

Specific consumption and the regression baseline (benefits, baseline_model, model_choice), offsets
between indicators, reporting periods, data sufficiency, and the batch that verifies a portfolio.
The app that runs a verification (people, states, certificates) is the ``verifications`` package;
this one only computes.
"""
