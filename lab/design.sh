# Sourced by the lab scripts: the ansible arguments of the design LAB_DESIGN names
# (inventory/lab-designs/<name>.yml, extra vars), or none for the inventory's own design.
lab_design_args=()
if [[ -n ${LAB_DESIGN:-} && ${LAB_DESIGN} != as_per_rack ]]; then
  lab_design_file="$repo/inventory/lab-designs/$LAB_DESIGN.yml"
  if [[ ! -f $lab_design_file ]]; then
    echo "LAB_DESIGN=$LAB_DESIGN: no $lab_design_file (designs: $(cd "$repo/inventory/lab-designs" && ls -- *.yml | sed 's/\.yml$//' | tr '\n' ' '))" >&2
    exit 2
  fi
  lab_design_args=(-e "@$lab_design_file")
fi
