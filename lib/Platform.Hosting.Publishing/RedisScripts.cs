namespace Platform.Hosting.Publishing;

/// <summary>
/// Start-up scripts of the published Redis nodes and Sentinels (POSIX sh, in the official redis image). The same text
/// runs in every target; everything it needs comes from the environment (<see cref="PublishContext.RedisEnvironment"/>):
/// REDIS_PASSWORD, REDIS_SELF (this instance's host name), REDIS_PORT, REDIS_MASTER_NAME, REDIS_INITIAL_MASTER,
/// REDIS_SENTINELS (host:port,…) and the Redis or Sentinel settings.
/// </summary>
internal static class RedisScripts
{
    /// <summary>
    /// Asks each Sentinel other than this one for the current master; prints "host port" or fails. A restarted node
    /// must not trust its own configuration: while it was away a replica may have been promoted.
    /// </summary>
    private const string AskSentinels = """
        ask_sentinels() {
          for s in $(echo "${REDIS_SENTINELS:-}" | tr ',' ' '); do
            [ "${s%:*}" = "${SENTINEL_SELF:-}" ] && continue
            answer=$(timeout 3 redis-cli --no-auth-warning -a "$REDIS_PASSWORD" -h "${s%:*}" -p "${s##*:}" SENTINEL get-master-addr-by-name "$REDIS_MASTER_NAME" 2>/dev/null | tr '\n' ' ' || true)
            set -- $answer
            case "${2:-}" in ''|*[!0-9]*) continue ;; esac
            echo "$1 $2"; return 0
          done
          return 1
        }
        if master=$(ask_sentinels); then
          set -- $master; master_host=$1; master_port=$2
          echo "the Sentinels name $master_host:$master_port as master"
        else
          master_host=${REDIS_INITIAL_MASTER:-$REDIS_SELF}; master_port=$REDIS_PORT
          echo "no Sentinel knows a master yet; the initial master is $master_host:$master_port"
        fi

        """;

    /// <summary>A data node: master when the Sentinels (or, on first start, the model) say it is, else a replica.</summary>
    public const string Node = "set -eu\n" + AskSentinels + """
        data=${REDIS_DATA_DIR:-/data}
        conf=$data/redis.conf
        cat > "$conf" <<EOF
        port $REDIS_PORT
        ${REDIS_BIND:+bind $REDIS_BIND}
        dir $data
        requirepass "$REDIS_PASSWORD"
        masterauth "$REDIS_PASSWORD"
        replica-announce-ip $REDIS_SELF
        replica-announce-port $REDIS_PORT
        maxmemory $REDIS_MAXMEMORY
        maxmemory-policy $REDIS_MAXMEMORY_POLICY
        appendonly $REDIS_APPENDONLY
        appendfsync $REDIS_APPENDFSYNC
        save $REDIS_SAVE
        repl-diskless-sync yes
        EOF
        if [ "$master_host" != "$REDIS_SELF" ]; then echo "replicaof $master_host $master_port" >> "$conf"; fi
        exec redis-server "$conf"
        """;

    /// <summary>A Sentinel: monitors the master the other Sentinels know (or the initial one), keeping its own id across restarts.</summary>
    public const string Sentinel = "set -eu\nSENTINEL_SELF=$REDIS_SELF\n" + AskSentinels + """
        data=${REDIS_DATA_DIR:-/data}
        conf=$data/sentinel.conf
        myid=$(grep -s '^sentinel myid' "$conf" || true)
        cat > "$conf" <<EOF
        port $SENTINEL_PORT
        ${REDIS_BIND:+bind $REDIS_BIND}
        dir $data
        requirepass "$REDIS_PASSWORD"
        sentinel resolve-hostnames yes
        sentinel announce-hostnames yes
        sentinel announce-ip $REDIS_SELF
        sentinel announce-port $SENTINEL_PORT
        $myid
        sentinel monitor $REDIS_MASTER_NAME $master_host $master_port $SENTINEL_QUORUM
        sentinel auth-pass $REDIS_MASTER_NAME "$REDIS_PASSWORD"
        sentinel down-after-milliseconds $REDIS_MASTER_NAME $SENTINEL_DOWN_AFTER_MS
        sentinel failover-timeout $REDIS_MASTER_NAME $SENTINEL_FAILOVER_TIMEOUT_MS
        sentinel parallel-syncs $REDIS_MASTER_NAME 1
        EOF
        exec redis-sentinel "$conf"
        """;

    /// <summary>Readiness of a data node.</summary>
    public const string NodeCheck = "redis-cli --no-auth-warning -a \"$REDIS_PASSWORD\" -p \"$REDIS_PORT\" ping | grep -q PONG";

    /// <summary>Readiness of a Sentinel: it answers and knows a master.</summary>
    public const string SentinelCheck = "redis-cli --no-auth-warning -a \"$REDIS_PASSWORD\" -p \"$SENTINEL_PORT\" SENTINEL get-master-addr-by-name \"$REDIS_MASTER_NAME\" | grep -q .";
}
