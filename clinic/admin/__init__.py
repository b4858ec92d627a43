"""Screens for administrators that read across domains: the audit viewer,
break-the-glass review, the security policy and the permission matrix."""
