// Hand-written so the descriptions read well; tests/unit/openapi_test.cpp
// checks it lists exactly the routes the router serves.
#include "http/openapi.hpp"

namespace mqgate::http {

const std::string& openapi_document() {
    static const std::string doc = R"json({
  "openapi": "3.0.3",
  "info": {
    "title": "mqgate REST API",
    "version": "1",
    "description": "Publish, connection status, subscriptions, retained messages, events, stats and metrics of the mqgate MQTT broker. JSON bodies use snake_case; timestamps are RFC 3339 UTC strings with an *_ms epoch-milliseconds twin. Payloads travel as 'payload' with 'encoding' 'plain' (UTF-8 text) or 'base64'; responses choose plain when the bytes are valid UTF-8. Every error is {\"error\":{\"code\":\"<slug>\",\"message\":\"<text>\"}}. Requests may be rejected before routing with 413 (body over the configured limit) or 431 (header over the limit). Every GET route also answers HEAD: the same status and headers (Content-Length of the GET body), no body. A JSON request body (and a JSON stream message) must not repeat a key within an object nor nest deeper than 64 levels (400 invalid_json). With authentication on (auth.* in the config, docs/auth.md), requests carry HTTP Basic or a Bearer API token (or ?access_token= where a browser cannot set headers): 401 without valid credentials, 403 when the caller's role does not allow the route; /healthz, /readyz and the dashboard are public. 401, 403, 404, 405 and 413 are decided on the request header: the body of a refused request is not read (no 100 Continue is sent) and the connection closes after the answer."
  },
  "security": [{"basic": []}, {"bearer": []}, {}],
  "paths": {
    "/api/v1/publish": {
      "post": {
        "summary": "Publish a message as an internal client (retained handling applies, no will). Needs the publish role; the ACL decides per topic for the caller's identity (403 forbidden when it does not allow the topic).",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PublishRequest"}}}},
        "responses": {
          "200": {"description": "Published; at least one subscription matched.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PublishResult"}}}},
          "202": {"description": "Published (and retained if asked) but no subscription matched (EMQX's answer).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NoMatch"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/PublishForbidden"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
          "503": {"description": "The message reached the connected subscribers but the durable store could not keep it (a full disk, a write error; code not_stored): publish it again. With storage on, every answer waits until what the publish wrote (a retained message, a persistent session's queue) is committed, as a PUBACK does.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
      }
    },
    "/api/v1/publish/bulk": {
      "post": {
        "summary": "Publish up to 1000 messages; the answer holds one result per item, in request order (an item the ACL refuses gets status 403 forbidden).",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/PublishRequest"}}}}},
        "responses": {
          "200": {"description": "One result per item: status 200 with id, 202 no_matching_subscribers, 400 or 403 (forbidden, forbidden_topic) with error, or 503 not_stored (the durable store could not keep it). The answer comes once every item's writes are committed.", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/BulkItemResult"}}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "415": {"$ref": "#/components/responses/UnsupportedMediaType"}
        }
      }
    },
    "/api/v1/requests": {
      "post": {
        "summary": "Publish a request to a device and wait for its reply on response_topic (or to each of 'targets' at once, waited for in parallel). The caller needs the publish role, and the ACL must let it publish to topic and subscribe to response_topic. The reply subscription is internal and lives only while the request waits; a client that disconnects mid-wait cancels it.",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeviceRequest"}}}},
        "responses": {
          "200": {"description": "The reply; with targets, one result per target in target order.", "content": {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/DeviceReply"}, {"$ref": "#/components/schemas/DeviceResults"}]}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"description": "No client session subscribes to a filter matching topic and no bridge sends it upstream (code no_matching_subscribers): at once, or after wait_for_connect_ms.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
          "429": {"description": "More than requests.max_pending device requests would be waiting (code too_many_requests).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "504": {"description": "No reply within timeout_ms of the publish (code timeout); request_id and elapsed_ms beside error.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
      }
    },
    "/api/v1/commands": {
      "post": {
        "summary": "Queue a command for one device (clientid): it is published on topic once the device is there (connected and subscribed to a matching filter, or holding a persistent session with one; offline only at QoS 1 or 2) and followed through queued -> sent -> acked -> replied, or expired when ttl_s passes first, or cancelled. Answered once the command is stored (committed with durable storage). The caller needs the publish role, and the ACL must let it publish to topic and subscribe to response_topic. Events command.sent, command.acked, command.replied, command.expired.",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CommandRequest"}}}},
        "responses": {
          "202": {"description": "Stored, waiting for the device.", "content": {"application/json": {"schema": {"type": "object", "properties": {"id": {"type": "string"}, "status": {"type": "string", "enum": ["queued"]}}}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
          "429": {"description": "commands.max_pending commands are not done yet (code too_many_commands).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "503": {"description": "The store refused or failed the write (storage_busy, storage_failed): nothing was queued.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
      },
      "get": {
        "summary": "Commands in the order they were queued (done ones are kept up to commands.max_pending, the oldest forgotten first).",
        "parameters": [
          {"$ref": "#/components/parameters/page"},
          {"$ref": "#/components/parameters/limit"},
          {"name": "clientid", "in": "query", "schema": {"type": "string"}, "description": "Exact device client id."},
          {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["queued", "sent", "acked", "replied", "expired", "cancelled"]}}
        ],
        "responses": {
          "200": {"description": "A page of commands.", "content": {"application/json": {"schema": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Command"}}, "meta": {"$ref": "#/components/schemas/ListMeta"}}}}}},
          "400": {"$ref": "#/components/responses/BadRequest"}
        }
      }
    },
    "/api/v1/commands/{id}": {
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "get": {
        "summary": "One command with its status history and reply.",
        "responses": {
          "200": {"description": "The command.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Command"}}}},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      },
      "delete": {
        "summary": "Cancel a command not yet sent (publish role).",
        "responses": {
          "200": {"description": "Cancelled: the command as it is now.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Command"}}}},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"description": "Already sent or done (code command_not_queued).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
      }
    },
    "/api/v1/webhooks": {
      "get": {
        "summary": "Every configured webhook (README Webhooks): its url and events (never its secret or headers), counts, pending events, last status and error, last success. SIGHUP may change the list: an unchanged webhook keeps its counts, a changed one starts them anew, a removed one is gone.",
        "responses": {
          "200": {"description": "The webhooks in config order.", "content": {"application/json": {"schema": {"type": "object", "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/Webhook"}}, "meta": {"$ref": "#/components/schemas/ListMeta"}}}}}}
        }
      }
    },
    "/api/v1/bridges": {
      "get": {
        "summary": "Every configured bridge to an upstream broker (README Bridges): its state, the address in use, the last error and CONNACK code, messages forwarded each way, queued and dropped.",
        "responses": {
          "200": {"description": "The bridges in config order.", "content": {"application/json": {"schema": {"type": "object", "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/Bridge"}}, "meta": {"$ref": "#/components/schemas/ListMeta"}}}}}}
        }
      }
    },
    "/api/v1/webhooks/{name}/failed": {
      "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
      "get": {
        "summary": "The events this webhook gave up (expired: not delivered within max_age_s; overflowed: pushed out over max_pending; refused: answered 4xx other than 408 and 429), newest first: the last 100, kept in memory only (a restart empties the list).",
        "responses": {
          "200": {"description": "The events given up.", "content": {"application/json": {"schema": {"type": "object", "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/FailedWebhookEvent"}}, "meta": {"$ref": "#/components/schemas/ListMeta"}}}}}},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      }
    },
    "/api/v1/clients": {
      "get": {
        "summary": "Connection status of every known session, sorted by clientid.",
        "parameters": [
          {"$ref": "#/components/parameters/page"},
          {"$ref": "#/components/parameters/limit"},
          {"name": "connected", "in": "query", "schema": {"type": "boolean"}, "description": "Only connected (true) or disconnected persistent sessions (false)."},
          {"name": "clientid", "in": "query", "schema": {"type": "string"}, "description": "Client id prefix."},
          {"name": "username", "in": "query", "schema": {"type": "string"}, "description": "Exact username."}
        ],
        "responses": {
          "200": {"description": "A page of clients.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ClientList"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"}
        }
      }
    },
    "/api/v1/clients/{clientid}": {
      "parameters": [{"$ref": "#/components/parameters/clientid"}],
      "get": {
        "summary": "One client's connection status.",
        "responses": {
          "200": {"description": "The client.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Client"}}}},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      },
      "delete": {
        "summary": "Kick the client: its connection is closed and its will IS published (it did not send DISCONNECT), as in EMQX. Events client.kicked, will.published and client.disconnected (reason kicked) follow.",
        "responses": {
          "204": {"description": "Kicked."},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      }
    },
    "/api/v1/clients/{clientid}/subscriptions": {
      "parameters": [{"$ref": "#/components/parameters/clientid"}],
      "get": {
        "summary": "The client's subscriptions.",
        "parameters": [{"$ref": "#/components/parameters/page"}, {"$ref": "#/components/parameters/limit"}],
        "responses": {
          "200": {"description": "A page of subscriptions.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SubscriptionList"}}}},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      }
    },
    "/api/v1/subscriptions": {
      "get": {
        "summary": "All client subscriptions, sorted by clientid then filter.",
        "parameters": [
          {"$ref": "#/components/parameters/page"},
          {"$ref": "#/components/parameters/limit"},
          {"name": "clientid", "in": "query", "schema": {"type": "string"}, "description": "Exact client id."},
          {"name": "topic", "in": "query", "schema": {"type": "string"}, "description": "Exact topic filter as subscribed (e.g. a/%23 for a/#)."}
        ],
        "responses": {
          "200": {"description": "A page of subscriptions.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SubscriptionList"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"}
        }
      }
    },
    "/api/v1/retained": {
      "get": {
        "summary": "Retained messages whose topic matches a filter, in bytewise topic order, a page at a time behind a cursor.",
        "description": "Pass meta.next of one page as 'after' to get the next; meta.next is null on the last page. One call examines at most 10,000 stored topics, so with a filter that few topics match a page may hold fewer than 'limit' messages, even none, while meta.next is not null. Messages stored or deleted between calls appear or not according to where their topic sorts relative to the cursor; none is listed twice.",
        "parameters": [
          {"$ref": "#/components/parameters/limit"},
          {"name": "filter", "in": "query", "schema": {"type": "string", "default": "#"}, "description": "Topic filter, percent-encoded (a/%23 for a/#). The levels before the first wildcard select a range of topics directly."},
          {"name": "after", "in": "query", "schema": {"type": "string"}, "description": "Cursor: list topics sorting after this one (meta.next of the previous page). Must be a topic name (400 invalid_after); empty or absent: from the first topic."},
          {"name": "page", "in": "query", "schema": {"type": "integer", "enum": [1]}, "description": "Only 1 is accepted (400 invalid_page otherwise): page numbers are replaced by the 'after' cursor."}
        ],
        "responses": {
          "200": {"description": "A page of retained messages.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RetainedList"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"}
        }
      }
    },
    "/api/v1/retained/{topic}": {
      "parameters": [{"$ref": "#/components/parameters/topic"}],
      "get": {
        "summary": "The retained message on a topic.",
        "responses": {
          "200": {"description": "The message.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Retained"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      },
      "delete": {
        "summary": "Delete the retained message on a topic.",
        "responses": {
          "204": {"description": "Deleted."},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      }
    },
    "/api/v1/events": {
      "get": {
        "summary": "Recent broker events from a bounded ring buffer, oldest first.",
        "parameters": [
          {"name": "since", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}, "description": "Return events with seq greater than this; pass back meta.next_since to continue."},
          {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}
        ],
        "responses": {
          "200": {"description": "Events.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventList"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"}
        }
      }
    },
    "/mqtt": {"get": {"summary": "MQTT 3.1.1 over WebSocket (RFC 6455 upgrade). The connection is an MQTT client like one over TCP (same sessions, QoS, retained messages, wills, takeover across transports); REST shows it with protocol \"mqtt-ws\".", "description": "Send `Upgrade: websocket` with `Sec-WebSocket-Protocol: mqtt` (or `mqttv3.1`); the answer names the subprotocol the client offered first. Only binary messages carry MQTT: a text message closes the connection [MQTT-6.0.0-1]. Packets may span messages and one message may hold several packets [MQTT-6.0.0-2]. Incoming messages are capped at mqtt.max_packet_size; permessage-deflate is off. The WebSocket is pinged after half of http.idle_timeout without traffic and closed after all of it; the MQTT keepalive (1.5 x) and connect timeout apply as over TCP, as do mqtt.max_connections and the bounded write queue.", "parameters": [{"name": "Sec-WebSocket-Protocol", "in": "header", "required": true, "schema": {"type": "string", "example": "mqtt"}, "description": "Must offer mqtt or mqttv3.1."}], "responses": {"101": {"description": "Switching Protocols: MQTT over WebSocket from here on."}, "400": {"description": "No MQTT subprotocol offered (code invalid_subprotocol), or a Sec-WebSocket-Key that is not 16 bytes in base64 (invalid_websocket_key).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "426": {"description": "Not a WebSocket upgrade (code upgrade_required).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "503": {"description": "mqtt.max_connections reached (too_many_connections), or shutting down.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    "/api/v1/stream": {"get": {"summary": "The JSON stream over WebSocket: live messages of the filters the client subscribes and broker events, one JSON object per text message.", "description": "Client to server (every op may carry an \"id\", number or string, that the answer echoes): {\"op\":\"subscribe\",\"id\":1,\"filter\":\"a/+/c\",\"qos\":1} -> {\"type\":\"ack\",\"id\":1,\"op\":\"subscribe\",\"filter\":\"a/+/c\",\"qos\":1}, then matching retained messages (retain:true), then live ones; {\"op\":\"unsubscribe\",\"id\":2,\"filter\":\"a/+/c\"} -> {\"type\":\"ack\",\"id\":2,\"op\":\"unsubscribe\",\"filter\":\"a/+/c\"}; {\"op\":\"publish\",\"id\":3,\"topic\":\"a/b\",\"payload\":\"hi\",\"encoding\":\"plain\"|\"base64\" (synonym payload_encoding),\"qos\":0,\"retain\":false} -> {\"type\":\"ack\",\"id\":3,\"op\":\"publish\",\"matched\":N}; {\"op\":\"events\",\"id\":4,\"filter\":[\"client.connected\",\"client.disconnected\",\"will.published\"]} (filter omitted or [\"*\"] = all event types, [] = none; events are off until the first events op) -> {\"type\":\"ack\",\"id\":4,\"op\":\"events\",\"filter\":[...]}; {\"op\":\"request\",\"id\":6, ...the fields of POST /api/v1/requests} -> once the device answers {\"type\":\"response\",\"id\":6, ...that route's 200 body}, or {\"type\":\"error\",\"id\":6,\"error\":{\"code\":\"timeout\"|\"no_matching_subscribers\"|...},\"request_id\"} (closing the stream cancels its waiting requests); {\"op\":\"ping\",\"id\":5} -> {\"type\":\"pong\",\"id\":5}. Errors (bad JSON, a repeated key or nesting over 64 levels: invalid_json; unknown op, bad topic/filter/qos/encoding/event name; forbidden_topic for a publish to a topic starting with $SYS, which only the broker writes): {\"type\":\"error\",\"id\":<id or null>,\"error\":{\"code\":\"invalid_topic\",\"message\":\"...\"}}; the stream stays open. Server to client: {\"type\":\"message\",\"topic\",\"payload\",\"encoding\",\"qos\",\"retain\",\"ts\",\"time\"} (qos is the lower of the published and subscribed QoS); {\"type\":\"event\",\"seq\",\"event\", ...the fields of GET /api/v1/events items}; {\"type\":\"dropped\",\"count\":N} (QoS 0 messages dropped because this consumer was slow; one notice per run of drops, in order, after the last message sent before them). Backpressure: each stream has a send queue bounded by http.ws_send_queue_bytes (1 MiB) and http.ws_send_queue_frames (1000); over half full, QoS 0 messages are dropped and counted, and go on being dropped until the stream has sent enough to be down to a quarter full, so a consumer that keeps up with part of the load gets runs of messages and few notices; over the limit the stream is closed with WebSocket close code 1008 and a reason. Incoming messages are capped at http.ws_max_message_size (64 KiB; larger: close 1009). The WebSocket is pinged after half of http.idle_timeout without a frame from the client and closed after all of it; at shutdown it closes with 1001. Over ws:// without compression a text message that is not UTF-8 is answered with invalid_json and the stream stays open (over wss:// and on compressing streams, which Beast serves, it is closed with 1007). A message matching several of a stream's filters is sent once per filter. Compression: with http.stream_compression true (default false) permessage-deflate is agreed with a client that offers it (server_max_window_bits=12).", "responses": {"400": {"description": "A Sec-WebSocket-Key that is not 16 bytes in base64 (invalid_websocket_key).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "101": {"description": "Switching Protocols: the JSON stream from here on.", "content": {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/StreamMessage"}, {"$ref": "#/components/schemas/StreamEvent"}, {"$ref": "#/components/schemas/StreamAck"}, {"$ref": "#/components/schemas/StreamResponse"}, {"$ref": "#/components/schemas/StreamError"}, {"$ref": "#/components/schemas/StreamDropped"}]}}}}, "426": {"description": "Not a WebSocket upgrade (code upgrade_required).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "503": {"description": "Shutting down.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    "/api/v1/stream/sse": {"get": {"summary": "The JSON stream as Server-Sent Events: messages of the filters in the query and broker events.", "description": "With http.stream_compression true (default false) and an Accept-Encoding that allows gzip, the body is gzip (Content-Encoding: gzip), flushed after every batch of events. Each message is `event: message` + `data: <StreamMessage JSON>`; each broker event is `event: event` + `id: <seq>` + `data: <StreamEvent JSON>`; `event: dropped` + `data: {\"type\":\"dropped\",\"count\":N}` reports QoS 0 messages dropped for a slow reader. The `Last-Event-ID` header (or ?last_event_id=) replays the events still in the ring buffer with a larger seq, then goes live. A comment line `: keepalive` comes every 15 s. Retained messages of the filters come first (retain:true). Over its send-queue limit the response ends with `event: close` + `data: {\"code\":1008,\"reason\":\"...\"}`. The response is chunked text/event-stream; CORS follows http.cors_origins.", "parameters": [{"name": "filter", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}, "style": "form", "explode": true, "description": "Topic filter, repeatable (filter=a/%23&filter=b/+). '+' is the MQTT wildcard here, not a space; write a space as %20."}, {"name": "qos", "in": "query", "schema": {"type": "integer", "enum": [0, 1, 2], "default": 0}, "description": "Subscription QoS of every filter: QoS 0 messages may be dropped for a slow reader, others close it when over the limit."}, {"name": "events", "in": "query", "schema": {"type": "string"}, "description": "1 (or true, *, all) for every event type, or a comma-separated list of event names; omitted or 0: no events."}, {"name": "last_event_id", "in": "query", "schema": {"type": "integer", "minimum": 0}, "description": "Same as the Last-Event-ID header."}, {"name": "Last-Event-ID", "in": "header", "schema": {"type": "integer", "minimum": 0}, "description": "Replay events with a larger seq from the ring buffer."}], "responses": {"200": {"description": "The event stream.", "content": {"text/event-stream": {"schema": {"type": "string"}}}}, "400": {"description": "Bad filter (invalid_filter), event name (invalid_event), qos (invalid_qos) or Last-Event-ID (invalid_last_event_id).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "503": {"description": "Shutting down, or this listener serves no streams (streams_unavailable).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    "/api/v1/stats": {
      "get": {
        "summary": "Broker statistics.",
        "responses": {"200": {"description": "Counters and gauges.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stats"}}}}}
      }
    },
    "/api/v1/openapi.json": {
      "get": {
        "summary": "This document.",
        "responses": {"200": {"description": "OpenAPI 3.0 document.", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus text exposition format 0.0.4: mqgate_connections, mqgate_sessions, mqgate_subscriptions, mqgate_retained_messages, mqgate_messages_{received,sent,dropped}_total, mqgate_bytes_{received,sent}_total, mqgate_uptime_seconds, mqgate_http_requests_total{code}, mqgate_events_total{event} and more.",
        "responses": {"200": {"description": "Metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}}}
      }
    },
    "/healthz": {
      "get": {
        "summary": "Liveness: 200 while the process runs.",
        "responses": {"200": {"description": "Alive.", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"type": "string", "example": "ok"}}}}}}}
      }
    },
    "/readyz": {
      "get": {
        "summary": "Readiness: 200 once the stored state is loaded and the listeners are up; 503 not_ready while the state loads at start-up (every other route then answers 503 starting) and while shutting down.",
        "responses": {
          "200": {"description": "Ready.", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"type": "string", "example": "ready"}}}}}},
          "503": {"description": "Not ready.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "basic": {"type": "http", "scheme": "basic", "description": "A user of auth.password_file."},
      "bearer": {"type": "http", "scheme": "bearer", "description": "An API token of auth.tokens."}
    },
    "parameters": {
      "page": {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
      "limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
      "clientid": {"name": "clientid", "in": "path", "required": true, "schema": {"type": "string"}, "description": "Client id, percent-encoded (an encoded '/' is part of the id)."},
      "topic": {"name": "topic", "in": "path", "required": true, "schema": {"type": "string"}, "description": "Topic name written as path segments: /api/v1/retained/a/b/c is topic a/b/c. Each level is percent-decoded separately. An encoded slash (%2F) inside a level is rejected with 400 invalid_topic, because it would add a level the path does not show; '+' and '#' (%23) are rejected with 400 invalid_topic."}
    },
    "responses": {
      "Unauthorized": {"description": "No valid credentials (code unauthorized); WWW-Authenticate names Basic and Bearer.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Forbidden": {"description": "The caller's role or the ACL does not allow this (code forbidden).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "BadRequest": {"description": "Invalid JSON (including a repeated key or nesting over 64 levels), topic, filter, qos, encoding, payload (base64) or query parameter; the message names the field.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "PublishForbidden": {"description": "The ACL does not let the caller publish to the topic (code forbidden), or the topic starts with $SYS, which only the broker writes (code forbidden_topic).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "NotFound": {"description": "No such resource.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "TooLarge": {"description": "Body over the configured limit.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "UnsupportedMediaType": {"description": "Content-Type is not application/json.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    },
    "schemas": {
      "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string", "example": "invalid_topic"}, "message": {"type": "string"}}}}},
      "ListMeta": {"type": "object", "properties": {"page": {"type": "integer"}, "limit": {"type": "integer"}, "count": {"type": "integer", "description": "Total matching items across all pages."}}},
      "DeviceRequest": {"type": "object", "required": ["topic", "response_topic"], "properties": {
        "topic": {"type": "string", "description": "Topic name the request is published to. {request_id} is replaced by a fresh id, {clientid} by each target."},
        "payload": {"type": "string", "default": ""},
        "encoding": {"type": "string", "enum": ["plain", "base64"], "default": "plain"},
        "payload_encoding": {"type": "string", "enum": ["plain", "base64"], "description": "EMQX's name for encoding."},
        "qos": {"type": "integer", "enum": [0, 1, 2], "default": 1},
        "response_topic": {"type": "string", "description": "Topic filter the reply arrives on; placeholders as in topic. Must not match topic."},
        "correlation": {"type": "string", "example": "payload:rid", "description": "payload:<key>: the request id is put into that key of the (JSON object) payload and the reply is the first message on response_topic whose JSON payload has the same value there. Without it and without {request_id} in response_topic, the first message on response_topic after the publish is the reply."},
        "timeout_ms": {"type": "integer", "default": 10000, "minimum": 1, "description": "From the publish; at most requests.max_timeout_ms."},
        "wait_for_connect_ms": {"type": "integer", "default": 0, "minimum": 0, "description": "0: no matching client subscription means 404 at once; else wait up to this long for one, then publish."},
        "targets": {"type": "array", "items": {"type": "string"}, "description": "Client ids (no '/', '+', '#'; at most requests.max_targets); topic must contain {clientid}, and response_topic {clientid} or {request_id} unless correlation is payload:<key>."}}},
      "CommandRequest": {"type": "object", "required": ["clientid", "topic"], "properties": {
        "clientid": {"type": "string", "description": "The device (no '/', '+', '#')."},
        "topic": {"type": "string", "description": "Topic name the command is published to; {clientid} is replaced by clientid, {request_id} by the command's id."},
        "payload": {"type": "string", "default": ""},
        "encoding": {"type": "string", "enum": ["plain", "base64"], "default": "plain"},
        "payload_encoding": {"type": "string", "enum": ["plain", "base64"], "description": "EMQX's name for encoding."},
        "qos": {"type": "integer", "enum": [0, 1, 2], "default": 1},
        "retain": {"type": "boolean", "default": false},
        "ttl_s": {"type": "integer", "minimum": 1, "default": 3600, "description": "From the POST: a command not done by then expires. At most commands.max_ttl_s."},
        "response_topic": {"type": "string", "description": "Topic filter the device's reply arrives on (placeholders as in topic); without it the command is done once acked (sent at QoS 0)."},
        "correlation": {"type": "string", "example": "payload:rid", "description": "As for POST /api/v1/requests: the command's id goes into that key of the JSON payload, and the reply must echo it."}}},
      "Webhook": {"type": "object", "properties": {
        "name": {"type": "string"}, "url": {"type": "string"}, "events": {"type": "array", "items": {"type": "string"}},
        "pending": {"type": "integer", "description": "Events waiting or in a request."}, "in_flight": {"type": "integer", "description": "Requests under way."},
        "delivered": {"type": "integer", "description": "Events answered 2xx."}, "failed_attempts": {"type": "integer", "description": "Requests answered otherwise or not at all."},
        "dropped": {"type": "integer", "description": "expired + overflowed + refused."}, "expired": {"type": "integer"}, "overflowed": {"type": "integer"}, "refused": {"type": "integer", "description": "Answered 4xx other than 408 and 429: given up at once."},
        "store_errors": {"type": "integer"}, "last_status": {"type": "integer", "description": "HTTP status of the last attempt; 0 when it got no answer."},
        "last_error": {"type": "string"}, "last_success_ms": {"type": "integer", "description": "0 = none yet."},
        "last_success": {"type": "string", "format": "date-time", "nullable": true}}},
      "Bridge": {"type": "object", "properties": {
        "name": {"type": "string"},
        "state": {"type": "string", "enum": ["connecting", "connected", "backing_off", "stopped"], "description": "connected: CONNACK accepted and the upstream subscriptions acknowledged; backing_off: waiting before the next attempt (see last_error, refused, retry_at_ms)."},
        "address": {"type": "string", "description": "The upstream address in use, or being tried (host:port)."},
        "addresses": {"type": "array", "items": {"type": "string"}}, "tls": {"type": "boolean"}, "client_id": {"type": "string"},
        "local_username": {"type": "string", "description": "Who the bridge is to the local ACL (\"\" = its anonymous rules)."},
        "last_error": {"type": "string", "nullable": true, "description": "Why the last attempt failed or the last connection ended, with the address; null = none yet."},
        "connack_code": {"type": "integer", "nullable": true, "description": "The last CONNACK's return code (0 accepted, 4 bad username or password, 5 not authorized, ...); null = none received."},
        "refused": {"type": "boolean", "description": "The last attempt got a CONNACK refusing it."},
        "connected_at_ms": {"type": "integer", "nullable": true}, "retry_at_ms": {"type": "integer", "nullable": true, "description": "Backing off: when the next attempt starts (epoch ms)."},
        "forwarded_out": {"type": "integer", "description": "Messages the upstream took (QoS 1/2: acknowledged)."},
        "forwarded_in": {"type": "integer", "description": "Upstream messages published on this node."},
        "queued": {"type": "integer", "description": "Waiting to go upstream or awaiting its acknowledgement."}, "queued_bytes": {"type": "integer"},
        "dropped": {"type": "integer", "description": "Dropped from a full queue (the oldest waiting ones)."},
        "echoes": {"type": "integer", "description": "Our own messages a plain 3.1.1 upstream sent back, recognised and not published again."},
        "denied": {"type": "integer", "description": "Messages the local ACL kept from crossing, either way (as local_username: write for what comes in, read for what goes out)."},
        "failures": {"type": "integer", "description": "Connection attempts that failed and connections that ended."},
        "stored": {"type": "integer", "description": "Storage on: QoS 1/2 out messages written to the store in their publish's own transaction."},
        "store_errors": {"type": "integer", "description": "Removals of acknowledged or dropped messages the store refused (they come back after a restart)."}}},
      "FailedWebhookEvent": {"type": "object", "properties": {
        "id": {"type": "integer", "description": "The event's number (its webhook-id is msg_<id> when sent alone)."},
        "clientid": {"type": "string"}, "reason": {"type": "string", "enum": ["expired", "overflowed", "refused"]},
        "attempts": {"type": "integer", "description": "Requests that carried it (0: it never went out)."},
        "last_status": {"type": "integer"}, "last_error": {"type": "string"},
        "created_ms": {"type": "integer"}, "failed_ms": {"type": "integer"}, "failed_at": {"type": "string", "format": "date-time"},
        "event": {"type": "object", "description": "The event as it would have been POSTed."}}},
      "Command": {"type": "object", "properties": {
        "id": {"type": "string"}, "clientid": {"type": "string"}, "topic": {"type": "string"}, "payload": {"type": "string"}, "encoding": {"type": "string", "enum": ["plain", "base64"]},
        "qos": {"type": "integer"}, "retain": {"type": "boolean"}, "response_topic": {"type": "string", "nullable": true}, "correlation": {"type": "string", "nullable": true},
        "status": {"type": "string", "enum": ["queued", "sent", "acked", "replied", "expired", "cancelled"], "description": "acked: the device's own PUBACK (QoS 1) or PUBCOMP (QoS 2) for the command's message arrived (another subscriber's does not count; a delivery downgraded to QoS 0 by the device's subscription is never acked)."},
        "created_at": {"type": "string", "format": "date-time"}, "created_at_ms": {"type": "integer"}, "expires_at": {"type": "string", "format": "date-time"}, "expires_at_ms": {"type": "integer"},
        "history": {"type": "array", "items": {"type": "object", "properties": {"status": {"type": "string"}, "time": {"type": "string", "format": "date-time"}, "ts": {"type": "integer"}}}},
        "reply": {"nullable": true, "allOf": [{"$ref": "#/components/schemas/DeviceResponse"}]}}},
      "DeviceResponse": {"type": "object", "properties": {"topic": {"type": "string"}, "payload": {"type": "string"}, "encoding": {"type": "string", "enum": ["plain", "base64"]}, "qos": {"type": "integer"}, "ts": {"type": "integer", "description": "Epoch ms when the broker accepted the reply."}}},
      "DeviceReply": {"type": "object", "properties": {"request_id": {"type": "string"}, "response": {"$ref": "#/components/schemas/DeviceResponse"}, "elapsed_ms": {"type": "integer"}}},
      "DeviceResults": {"type": "object", "properties": {"results": {"type": "array", "items": {"type": "object", "properties": {
        "clientid": {"type": "string"}, "request_id": {"type": "string"}, "status": {"type": "string", "enum": ["ok", "timeout", "no_matching_subscribers"]},
        "response": {"$ref": "#/components/schemas/DeviceResponse"}, "elapsed_ms": {"type": "integer"}}}}}},
      "PublishRequest": {"type": "object", "required": ["topic"], "properties": {
        "topic": {"type": "string", "description": "Topic name; no '+' or '#'. Topics starting with $SYS are the broker's: 403 forbidden_topic."},
        "payload": {"type": "string", "default": ""},
        "encoding": {"type": "string", "enum": ["plain", "base64"], "default": "plain"},
        "payload_encoding": {"type": "string", "enum": ["plain", "base64"], "description": "Synonym of encoding (EMQX)."},
        "qos": {"type": "integer", "enum": [0, 1, 2], "default": 0},
        "retain": {"type": "boolean", "default": false}}},
      "PublishResult": {"type": "object", "properties": {"id": {"type": "string"}, "matched": {"type": "integer"}}},
      "NoMatch": {"type": "object", "properties": {"message": {"type": "string", "example": "no_matching_subscribers"}, "matched": {"type": "integer", "example": 0}}},
      "BulkItemResult": {"type": "object", "properties": {"status": {"type": "integer"}, "id": {"type": "string"}, "matched": {"type": "integer"}, "message": {"type": "string"}, "error": {"$ref": "#/components/schemas/Error/properties/error"}}},
      "Client": {"type": "object", "properties": {
        "clientid": {"type": "string"}, "username": {"type": "string"}, "connected": {"type": "boolean"},
        "connected_at": {"type": "string", "format": "date-time", "nullable": true}, "connected_at_ms": {"type": "integer", "nullable": true},
        "disconnected_at": {"type": "string", "format": "date-time", "nullable": true}, "disconnected_at_ms": {"type": "integer", "nullable": true},
        "disconnect_reason": {"type": "string", "nullable": true}, "ip_address": {"type": "string"}, "port": {"type": "integer"},
        "protocol": {"type": "string", "enum": ["mqtt", "mqtts", "mqtt-ws", "mqtt-wss"]}, "keepalive": {"type": "integer"}, "clean_session": {"type": "boolean"},
        "subscriptions_cnt": {"type": "integer"}, "inflight_cnt": {"type": "integer"}, "mqueue_len": {"type": "integer"}, "mqueue_dropped": {"type": "integer"},
        "will_topic": {"type": "string", "nullable": true}, "messages_in": {"type": "integer"}, "messages_out": {"type": "integer"}}},
      "ClientList": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Client"}}, "meta": {"$ref": "#/components/schemas/ListMeta"}}},
      "Subscription": {"type": "object", "properties": {"clientid": {"type": "string"}, "topic": {"type": "string", "description": "The topic filter."}, "qos": {"type": "integer"}}},
      "SubscriptionList": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Subscription"}}, "meta": {"$ref": "#/components/schemas/ListMeta"}}},
      "Retained": {"type": "object", "properties": {
        "topic": {"type": "string"}, "payload": {"type": "string"}, "encoding": {"type": "string", "enum": ["plain", "base64"]}, "qos": {"type": "integer"},
        "from_clientid": {"type": "string", "description": "Empty when published through the API."},
        "published_at": {"type": "string", "format": "date-time"}, "published_at_ms": {"type": "integer"}}},
      "RetainedList": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Retained"}}, "meta": {"type": "object", "properties": {"limit": {"type": "integer"}, "count": {"type": "integer", "description": "Messages on this page."}, "next": {"type": "string", "nullable": true, "description": "Cursor for the next page ('after'), null on the last page."}}}}},
      "Event": {"type": "object", "properties": {
        "seq": {"type": "integer"}, "event": {"type": "string", "enum": ["client.connected", "client.disconnected", "will.published", "session.subscribed", "session.unsubscribed", "client.kicked", "client.auth_failed", "command.sent", "command.acked", "command.replied", "command.expired"]},
        "id": {"type": "string", "description": "command.* only: the command's id (command events carry id, clientid, topic, qos, ts and time)."},
        "clientid": {"type": "string"}, "username": {"type": "string"}, "ipaddress": {"type": "string"}, "peerport": {"type": "integer"}, "sockport": {"type": "integer"},
        "proto_name": {"type": "string"}, "proto_ver": {"type": "integer"}, "protocol": {"type": "string"}, "keepalive": {"type": "integer"}, "clean_session": {"type": "boolean"},
        "reason": {"type": "string", "description": "client.disconnected only."},
        "topic": {"type": "string", "description": "will.published: the will topic; session.(un)subscribed: the filter."},
        "payload": {"type": "string", "description": "will.published only."}, "encoding": {"type": "string", "enum": ["plain", "base64"]},
        "qos": {"type": "integer"}, "retain": {"type": "boolean"},
        "ts": {"type": "integer", "description": "Epoch milliseconds."}, "time": {"type": "string", "format": "date-time"}}},
      "EventList": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}, "meta": {"type": "object", "properties": {
        "since": {"type": "integer"}, "limit": {"type": "integer"}, "count": {"type": "integer"},
        "next_since": {"type": "integer", "description": "seq of the last event returned (or since when none)."},
        "last_seq": {"type": "integer"}, "capacity": {"type": "integer"}}}}},
      "StreamMessage": {"type": "object", "properties": {"type": {"type": "string", "enum": ["message"]}, "topic": {"type": "string"}, "payload": {"type": "string"}, "encoding": {"type": "string", "enum": ["plain", "base64"]}, "qos": {"type": "integer"}, "retain": {"type": "boolean", "description": "true only for retained messages sent because of the subscribe."}, "ts": {"type": "integer"}, "time": {"type": "string", "format": "date-time"}}},
      "StreamEvent": {"allOf": [{"$ref": "#/components/schemas/Event"}, {"type": "object", "properties": {"type": {"type": "string", "enum": ["event"]}}}]},
      "StreamResponse": {"type": "object", "description": "Answer to the request op (the fields of POST /api/v1/requests): the 200 body of that route plus type and id.", "properties": {"type": {"type": "string", "enum": ["response"]}, "id": {}, "request_id": {"type": "string"}, "response": {"$ref": "#/components/schemas/DeviceResponse"}, "elapsed_ms": {"type": "integer"}, "results": {"$ref": "#/components/schemas/DeviceResults/properties/results"}}},
      "StreamAck": {"type": "object", "properties": {"type": {"type": "string", "enum": ["ack", "pong"]}, "id": {"description": "The op's id (number or string), null when it had none."}, "op": {"type": "string"}, "filter": {}, "qos": {"type": "integer"}, "matched": {"type": "integer"}}},
      "StreamError": {"type": "object", "properties": {"type": {"type": "string", "enum": ["error"]}, "id": {"description": "The op's id, or null."}, "error": {"$ref": "#/components/schemas/Error/properties/error"}}},
      "StreamDropped": {"type": "object", "properties": {"type": {"type": "string", "enum": ["dropped"]}, "count": {"type": "integer"}}},
      "Stats": {"type": "object", "properties": {
        "node": {"type": "string", "description": "node_name from the config; also in $SYS/brokers/<node>/..."},
        "connections": {"type": "integer"}, "connections_max": {"type": "integer"}, "connections_total": {"type": "integer"}, "disconnected_sessions": {"type": "integer"},
        "sessions": {"type": "integer"}, "subscriptions": {"type": "integer"}, "internal_subscriptions": {"type": "integer", "description": "The gateway's own: one per distinct filter of the JSON streams and SSE responses (streams with the same filter share it), device requests waiting for a reply, and one while any webhook wants message.publish."}, "requests_pending": {"type": "integer", "description": "Device requests waiting (POST /api/v1/requests; each target counts)."}, "retained": {"type": "integer"}, "inflight": {"type": "integer"}, "queued": {"type": "integer"},
        "messages_received": {"type": "integer"}, "messages_sent": {"type": "integer"}, "messages_dropped": {"type": "integer"}, "publish_denied": {"type": "integer"},
        "subscribe_refused": {"type": "integer"}, "protocol_errors": {"type": "integer"}, "bytes_received": {"type": "integer"}, "bytes_sent": {"type": "integer"}, "uptime_seconds": {"type": "integer"},
        "login_failures": {"type": "integer", "description": "Password logins (MQTT, HTTP Basic) refused as wrong after the full check"}, "login_throttled": {"type": "integer", "description": "Password logins refused unchecked while their address or username backs off"}, "login_busy": {"type": "integer", "description": "Password logins refused unchecked because the verifier queue was full"},
        "time": {"type": "string", "format": "date-time"}, "time_ms": {"type": "integer"},
        "open_access": {"type": "boolean", "description": "True when a listener beyond the loopback interface lets anyone in without credentials (see open_listeners)."},
        "open_listeners": {"type": "array", "items": {"type": "object", "properties": {
          "kind": {"type": "string", "enum": ["mqtt", "mqtts", "http", "https"]},
          "address": {"type": "string", "description": "The bound address and port, e.g. 0.0.0.0:1883 or [::]:8080."},
          "open": {"type": "array", "items": {"type": "string", "enum": ["anonymous_mqtt", "http_api"]}, "description": "anonymous_mqtt: MQTT (on http listeners: over /mqtt) without a username (auth.allow_anonymous); http_api: the REST API and streams without credentials (no users and no tokens)."}}}},
        "storage": {"type": "object", "description": "The durable store (README Storage). With storage.backend memory only {\"backend\": \"memory\"}.", "properties": {
          "backend": {"type": "string", "enum": ["sqlite", "memory"]},
          "commits": {"type": "integer", "description": "Transactions committed (each carries every write submitted while the previous one ran)."},
          "failed_commits": {"type": "integer", "description": "Transactions that failed to write (disk full, I/O error): their acknowledgements were withheld."},
          "write_failing": {"type": "boolean", "description": "The last commit failed: a write-error episode is going on."},
          "write_error_episodes": {"type": "integer"},
          "last_commit_us": {"type": "integer"}, "avg_commit_us": {"type": "integer"},
          "operations": {"type": "integer", "description": "Writes made (rows put or erased)."},
          "cancelled_operations": {"type": "integer", "description": "Writes not made because a later write of the same commit undid them (e.g. a delivery taken in flight and acknowledged within one commit interval)."},
          "empty_commits": {"type": "integer", "description": "Commits left with nothing to write after that: no transaction, no sync."},
          "pending_writes": {"type": "integer", "description": "Write batches waiting for a commit."},
          "file_bytes": {"type": "integer", "description": "Bytes of the database file and its write-ahead log."}}},
        "webhooks": {"type": "object", "description": "Totals over the configured webhooks (README Webhooks), then each under endpoints.", "properties": {
          "pending": {"type": "integer", "description": "Events waiting or in flight."}, "delivered": {"type": "integer", "description": "Events answered 2xx."},
          "failed_attempts": {"type": "integer", "description": "Attempts answered otherwise or not at all (each is retried)."}, "dropped": {"type": "integer", "description": "Events given up: not delivered within max_age_s, or pushed out over max_pending."},
          "endpoints": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "pending": {"type": "integer"}, "in_flight": {"type": "integer"}, "delivered": {"type": "integer"}, "failed_attempts": {"type": "integer"},
            "dropped": {"type": "integer"}, "expired": {"type": "integer"}, "overflowed": {"type": "integer"}, "refused": {"type": "integer"},
            "store_errors": {"type": "integer", "description": "Events the durable store did not take (delivered from memory only)."},
            "last_status": {"type": "integer", "description": "HTTP status of the last attempt; 0 when it got no answer."}, "last_error": {"type": "string"},
            "last_success_ms": {"type": "integer", "description": "Epoch ms of the last delivery; 0 = none yet."}}}}}}}}
    }
  }
})json";
    return doc;
}

}  // namespace mqgate::http
