# Registry fixtures for the docker2aci e2e tests (sourced after lib.sh):
#   registry_prereqs            skips the whole script (TAP "1..0 # SKIP")
#                               unless docker-registry, skopeo, openssl,
#                               python3 and htpasswd are there
#   registry_tls                a CA ($TRASH/tls/ca.pem) and a certificate
#                               for 127.0.0.1 signed by it
#   start_registry NAME [tls] [htpasswd|token]
#                               sets NAME_PORT; schema1 pushes enabled
#   start_token_server [USER:PASS|-] [access_token]   sets TOKEN_PORT
#   start_proxy UPSTREAM_PORT MODE                   sets PROXY_PORT, REDIR_PORT
#   push LAYOUT DEST [skopeo copy options]            DEST without docker://
# Every server runs under timeout, on 127.0.0.1, and is killed on exit.
HELPERS="$TEST_DIRECTORY/helpers"
REG_PIDS=""

registry_prereqs() {
	local p
	for p in docker-registry skopeo openssl python3 htpasswd; do
		if ! command -v "$p" >/dev/null 2>&1; then
			echo "1..0 # SKIP $p is missing (apt-get install docker-registry skopeo openssl python3 apache2-utils)"
			exit 0
		fi
	done
	trap 'registry_stop_all' EXIT
}

registry_stop_all() {
	local p
	for p in $REG_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $REG_PIDS; do
		wait "$p" 2>/dev/null
	done
	REG_PIDS=""
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
	local i
	for i in $(seq 1 200); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "nothing listens on port $1" >&2
	return 1
}

wait_file() {
	local i
	for i in $(seq 1 200); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	echo "$1 never appeared" >&2
	return 1
}

registry_tls() {
	[ -f "$TRASH/tls/ca.pem" ] && return 0
	mkdir -p "$TRASH/tls" && cd "$TRASH/tls" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=test CA" -keyout ca.key -out ca.pem 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout key.pem -out req.pem 2>/dev/null &&
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > ext &&
	openssl x509 -req -in req.pem -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile ext \
		-out cert.pem 2>/dev/null &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=token signer" \
		-keyout token.key -out token.pem 2>/dev/null &&
	cd "$TRASH"
}

# start_registry NAME [tls] [htpasswd|token]
start_registry() {
	local name=$1 tls=${2:-} auth=${3:-} port
	port=$(free_port)
	mkdir -p "$TRASH/reg-$name"
	{
		echo "version: 0.1"
		echo "log: {level: warn}"
		echo "storage: {filesystem: {rootdirectory: $TRASH/reg-$name/data}}"
		echo "compatibility: {schema1: {enabled: true}}"
		echo "http:"
		echo "  addr: 127.0.0.1:$port"
		echo "  secret: test-secret"
		if [ "$tls" = tls ]; then
			echo "  tls: {certificate: $TRASH/tls/cert.pem, key: $TRASH/tls/key.pem}"
		fi
		case "$auth" in
		htpasswd)
			echo "auth: {htpasswd: {realm: test-realm, path: $TRASH/htpasswd}}" ;;
		token)
			echo "auth: {token: {realm: \"https://127.0.0.1:$TOKEN_PORT/token\", service: test-registry,"
			echo "  issuer: test-issuer, rootcertbundle: $TRASH/tls/token.pem}}" ;;
		esac
	} > "$TRASH/reg-$name/config.yml"
	timeout 900 docker-registry serve "$TRASH/reg-$name/config.yml" >"$TRASH/reg-$name/log" 2>&1 &
	REG_PIDS="$REG_PIDS $!"
	wait_port "$port" || { cat "$TRASH/reg-$name/log" >&2; return 1; }
	eval "${name}_PORT=$port"
}

start_token_server() {
	rm -f "$TRASH/token.port"
	timeout 900 python3 "$HELPERS/registry-token.py" "$TRASH/token.port" "$TRASH/tls/token.key" \
		"$TRASH/tls/token.pem" "$TRASH/tls/cert.pem" "$TRASH/tls/key.pem" "$TRASH/token.log" \
		"${1:--}" "${2:-token}" 2>"$TRASH/token.err" &
	REG_PIDS="$REG_PIDS $!"
	wait_file "$TRASH/token.port" || { cat "$TRASH/token.err" >&2; return 1; }
	TOKEN_PORT=$(cat "$TRASH/token.port")
}

start_proxy() {
	local pf="$TRASH/proxy-$2.port"
	rm -f "$pf"
	timeout 900 python3 "$HELPERS/registry-proxy.py" "$1" "$2" "$pf" "$TRASH/proxy-$2.log" \
		2>"$TRASH/proxy-$2.err" &
	REG_PIDS="$REG_PIDS $!"
	wait_file "$pf" || { cat "$TRASH/proxy-$2.err" >&2; return 1; }
	read -r PROXY_PORT REDIR_PORT < "$pf"
}

# push LAYOUT DEST [options]
push() {
	local src=$1 dest=$2
	shift 2
	timeout 120 skopeo copy --quiet --dest-tls-verify=false "$@" "oci:$src:latest" "docker://$dest" >/dev/null
}

mkimage() {
	[ -d "$TRASH/img-$1" ] || python3 "$HELPERS/registry-mkimage.py" "$TRASH/img-$1" "$1"
}
