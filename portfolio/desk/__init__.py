"""The investment desk (issue 14): reconciliation against B3 and the brokers, brokerage notes
(SINACOR PDF), the income calendar and alerts. A part of ``portfolio`` like ``analytics`` and
``tax``: its models are imported by ``portfolio.models``, its admin by ``portfolio.admin``.
"""
