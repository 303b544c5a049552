"""lazyrich: exact learning dynamics of two-layer linear networks.

The package computes the exact gradient-flow trajectory of a two-layer
linear network trained on whitened inputs from a λ-balanced
initialisation, for every λ, from the rich (λ near 0) to the lazy
(|λ| large) regime, and provides the simulations, kernels, tasks and
figures that check and illustrate it.
"""

# The figure helpers and explorers load with the package, as lr.plots and
# lr.widgets (ipywidgets itself is imported only when an explorer is made).
from . import plots, widgets
from .balancing import balance, balance_coefficient, lambda_balanced
from .data import covariances, random_task, semantic_hierarchy, whiten
from .exact import ExactDynamics, HealthCheckError
from .kernels import kernel_distance, ntk
from .scalar import scalar_mode
from .simulate import gradient_descent, gradient_flow

__version__ = "0.1.0"

__all__ = [
    "ExactDynamics",
    "HealthCheckError",
    "balance",
    "balance_coefficient",
    "covariances",
    "gradient_descent",
    "gradient_flow",
    "kernel_distance",
    "lambda_balanced",
    "ntk",
    "plots",
    "random_task",
    "scalar_mode",
    "semantic_hierarchy",
    "whiten",
    "widgets",
]
