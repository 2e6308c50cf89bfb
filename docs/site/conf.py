# Copyright (c) Ansible Project
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Sphinx configuration of the collection's HTML documentation (make docs), from antsibull-docs sphinx-init.
# No intersphinx: the build reads nothing from the network, and warnings are errors.

project = 'devportal.dcr'
copyright = 'devportal.dcr contributors'
title = 'devportal.dcr: Curity and Kong Konnect Dev Portal DCR'
html_short_title = 'devportal.dcr'

extensions = ['sphinx_antsibull_ext']

pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
display_version = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False

default_role = 'any'
nitpicky = True
