#!/bin/sh
# prove --exec wrapper: shell tests run under bash, anything else is executed.
case "$1" in
*.sh) exec bash "$@" ;;
*) exec "$@" ;;
esac
