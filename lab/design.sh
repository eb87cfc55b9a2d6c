# Sourced by the lab scripts: the ansible arguments of the design LAB_DESIGN names (default
# as_per_rack, the lab inventory's own): inventory/lab-designs/<name>.yml as extra vars, plus
# <name>.hosts.yml as a second inventory source where the design needs groups of its own.
LAB_DESIGN=${LAB_DESIGN:-as_per_rack}
lab_design_file="$repo/inventory/lab-designs/$LAB_DESIGN.yml"
if [[ ! -f $lab_design_file ]]; then
  echo "LAB_DESIGN=$LAB_DESIGN: no $lab_design_file (designs: $(cd "$repo/inventory/lab-designs" && ls -- *.yml | grep -v '\.hosts\.yml$' | sed 's/\.yml$//' | tr '\n' ' '))" >&2
  exit 2
fi
lab_design_args=(-e "@$lab_design_file")
if [[ -f $repo/inventory/lab-designs/$LAB_DESIGN.hosts.yml ]]; then
  lab_design_args+=(-i "$repo/inventory/lab-designs/$LAB_DESIGN.hosts.yml")
fi
