# Starts nginx on loopback for a test script, serving $TRASH/site:
#   start_nginx            sets HTTPS_PORT (TLS, certificate for localhost and
#                          127.0.0.1 signed by a CA made here: $TRASH/ca.pem)
#                          and HTTP_PORT (plain HTTP, same site)
#   need_nginx [TITLE]     unless nginx and openssl are there, skips the rest
#                          of the script: as one skipped test TITLE, or
#                          without TITLE the whole script (1..0); else
#                          start_nginx or bail out, and SSL_CERT_FILE is the CA
# Pages: a request for /a/b serves site/a/b, or site/a/b/index.html, as
# text/html (query strings are ignored).  site/redirect/X answers 301 to /X.
# nginx is stopped when the script exits.
#
# A script that wants other locations or another log format does what
# start_nginx does with its own:
#   nginx_setup            the CA and certificate, HTTPS_PORT and HTTP_PORT
#   nginx_launch FORMAT HTTPS_LOCATIONS HTTP_LOCATIONS
#                          writes $TRASH/nginx/nginx.conf (the access log in
#                          log_format FORMAT, or nginx's default when empty;
#                          the two servers with those location blocks), starts
#                          nginx and waits until it listens

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

nginx_setup() {
	mkdir -p "$TRASH/site" "$TRASH/nginx" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=test CA" \
		-keyout "$TRASH/nginx/ca.key" -out "$TRASH/ca.pem" 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
		-keyout "$TRASH/nginx/key.pem" -out "$TRASH/nginx/req.pem" 2>/dev/null &&
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > "$TRASH/nginx/ext" &&
	openssl x509 -req -in "$TRASH/nginx/req.pem" -CA "$TRASH/ca.pem" -CAkey "$TRASH/nginx/ca.key" \
		-CAcreateserial -days 2 -extfile "$TRASH/nginx/ext" -out "$TRASH/nginx/cert.pem" 2>/dev/null || return 1
	HTTPS_PORT=$(free_port)
	HTTP_PORT=$(free_port)
}

nginx_launch() {
	local user="" log="access_log $TRASH/nginx/access.log;"
	[ "$(id -u)" = 0 ] && user="user root;"
	[ -n "$1" ] && log="log_format t '$1';
	access_log $TRASH/nginx/access.log t;"
	cat > "$TRASH/nginx/nginx.conf" <<CONF
$user
daemon off;
master_process off;
worker_processes 1;
pid $TRASH/nginx/nginx.pid;
error_log $TRASH/nginx/error.log;
events { worker_connections 64; }
http {
	$log
	client_body_temp_path $TRASH/nginx/tmp-body;
	proxy_temp_path $TRASH/nginx/tmp-proxy;
	fastcgi_temp_path $TRASH/nginx/tmp-fastcgi;
	uwsgi_temp_path $TRASH/nginx/tmp-uwsgi;
	scgi_temp_path $TRASH/nginx/tmp-scgi;
	default_type text/html;
	server {
		listen 127.0.0.1:$HTTPS_PORT ssl;
		server_name localhost;
		ssl_certificate $TRASH/nginx/cert.pem;
		ssl_certificate_key $TRASH/nginx/key.pem;
		root $TRASH/site;
		$2
	}
	server {
		listen 127.0.0.1:$HTTP_PORT;
		server_name localhost;
		root $TRASH/site;
		$3
	}
}
CONF
	nginx -c "$TRASH/nginx/nginx.conf" -p "$TRASH/nginx" -e "$TRASH/nginx/error.log" &
	NGINX_PID=$!
	trap 'kill $NGINX_PID 2>/dev/null; wait $NGINX_PID 2>/dev/null' EXIT
	local i
	for i in $(seq 1 100); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $HTTPS_PORT), 1)" 2>/dev/null && break
		sleep 0.05
	done
	export HTTPS_PORT HTTP_PORT
}

start_nginx() {
	nginx_setup || return 1
	nginx_launch "" \
		"location /redirect/ { rewrite ^/redirect/(.*)\$ /\$1 permanent; }
		location / { try_files \$uri \$uri/index.html =404; }" \
		"location / { try_files \$uri \$uri/index.html =404; }"
}

need_nginx() {
	if ! command -v nginx >/dev/null || ! command -v openssl >/dev/null; then
		if [ $# = 0 ]; then
			echo "1..0 # SKIP nginx and openssl are needed"
			exit 0
		fi
		test_expect_success NGINX "$1" 'false'
		test_done
	fi
	start_nginx || { echo "Bail out! nginx did not start"; exit 1; }
	export SSL_CERT_FILE=$TRASH/ca.pem
}
