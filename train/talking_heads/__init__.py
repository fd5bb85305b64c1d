"""PyTorch twin of the TF.js networks in src/nn (meta-learning side of Zakharov et al. 2019).

src/nn/README.md is the contract: parameter names, layouts, the spectral-norm convention and the
psi layout are shared, so weights move between the two implementations without conversion tables.
"""
