# Sourced by the compose stack's init scripts (sh): one way to read a secret, and to refuse the
# example's placeholders before anything is set up with them.
#
# secret NAME [FILE_VARIABLE] prints the secret NAME: the value of $NAME, else the content of the file
# that $FILE_VARIABLE (default NAME_FILE; Grafana's convention is NAME__FILE) names, as compose mounts
# secrets in /run/secrets. Missing, empty or a `change-me…` placeholder: a one-line error naming the
# variable, and status 1 (a `x=$(secret NAME)` under `set -e` then stops the script).
secret () {
  _name=$1
  _file_var=${2:-${1}_FILE}
  eval "_value=\${$_name:-}"
  eval "_file=\${$_file_var:-}"
  _from=$_name
  if [ -z "$_value" ] && [ -n "$_file" ]; then
    if [ ! -f "$_file" ] || [ ! -r "$_file" ]; then
      echo "$_file_var=$_file: cannot read the secret for $_name" >&2
      return 1
    fi
    _value=$(cat "$_file")
    _from="$_file_var ($_file)"
  fi
  if [ -z "$_value" ]; then
    echo "$_name is not set: set it, or put it in a file named by $_file_var" >&2
    return 1
  fi
  case "$_value" in
    [Cc][Hh][Aa][Nn][Gg][Ee]-[Mm][Ee]*|[Cc][Hh][Aa][Nn][Gg][Ee]_[Mm][Ee]*|[Cc][Hh][Aa][Nn][Gg][Ee][Mm][Ee]*)
      echo "$_from is still the example's placeholder: set a secret of your own (deploy/scripts/make-secrets.sh writes random ones)" >&2
      return 1 ;;
  esac
  printf '%s\n' "$_value"
}
