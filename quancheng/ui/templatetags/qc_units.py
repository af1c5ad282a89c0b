"""Sizes and speeds for people in templates: ``{{ blob.size|size }}``, ``{{ speed|rate }}``."""

from django import template

from quancheng.lib.units import human_rate, human_size

register = template.Library()
register.filter("size", human_size)
register.filter("rate", human_rate)
