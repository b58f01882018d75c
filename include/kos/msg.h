/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KOS messages: the client library apps use to reach message servers (kos-msgd).
 *
 * kosd hands an app one connected socket per message server instance its manifest entry
 * lists, and names them in KOS_MSG_SERVERS ("core=3,secure=4", in manifest order). The
 * server knows the app by that connection; nothing the app says about itself counts.
 *
 * An app publishes protocol names and looks names up on the active instance (the first
 * one until kos_msg_set_active_server_id() picks another). A granted lookup yields a
 * KosMsgChannel: a direct socket to the publisher, with no server in between. Over it the
 * client calls (request/reply) or sends (one-way); the publisher receives and replies.
 * Each message carries up to KOS_MSG_MAX_PAYLOAD bytes and at most one file descriptor.
 *
 * Errors are negative errno values:
 *   -EACCES      the manifest does not allow this app to publish / look up that name
 *   -ENOENT      nobody publishes that name (yet)
 *   -EEXIST      another app already publishes that name on this instance
 *   -EMFILE      a per-app limit was reached (names, channels)
 *   -EBUSY       the publisher is not keeping up; try again
 *   -ENXIO       the app has no connection to any (or to that) message server
 *   -ECONNRESET  the peer (publisher, client or server) is gone
 *   -ETIMEDOUT   no answer within the timeout
 *   -EMSGSIZE    payload larger than KOS_MSG_MAX_PAYLOAD
 *   -EPROTO      the peer sent a malformed frame; the channel is no longer usable
 *   -EINVAL      a malformed argument (protocol name, NULL data with a size), or
 *                KOS_MSG_SERVERS is malformed or names a descriptor that is no connection
 *   -EAGAIN      kos_msg_reply() only: the client has left earlier replies unread
 *
 * Timeouts are in milliseconds: -1 waits without limit, 0 does not wait.
 *
 * Thread safety: none. The connections live in process-wide state that the first call
 * reads from KOS_MSG_SERVERS; calls that use it (everything but the kos_msg_channel_*
 * accessors) must not run concurrently, and one thread at a time uses a given channel.
 * Different channels may be used from different threads at the same time.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KOS_MSG_MAX_PAYLOAD (64U * 1024U)
#define KOS_MSG_NAME_MAX 127 /* protocol and app names, without the NUL */

typedef struct KosMsgChannel KosMsgChannel;

/*
 * One received message. data belongs to the channel and stays valid until the next
 * receive or call on it (or its free); fd, if not -1, is the receiver's to close.
 */
typedef struct KosMsgMessage {
        const void *data;
        size_t size;
        int fd;          /* -1, or a descriptor that the receiver now owns */
        uint32_t serial; /* matches a reply to its call */
        bool one_way;    /* sent with kos_msg_send(): no reply expected */
        uint32_t status; /* replies: 0, or the error the publisher reported (app-defined) */
} KosMsgMessage;

/*
 * Why KOS_MSG_SERVERS cannot be used, as one line of text ("KOS_MSG_SERVERS is malformed:
 * entry 1 \"core=x\": FD is not a number"), or NULL if it is well-formed or unset. While it
 * is malformed the app reaches no instance, and the calls that need one return -EINVAL.
 * The library owns the text.
 */
const char *kos_msg_servers_error(void);

/* Number of message server instances this app can reach (0 if none). */
unsigned kos_msg_server_count(void);

/* Name of instance id ("core"), or NULL if there is no such id. The library owns it. */
const char *kos_msg_server_name(unsigned id);

/* Finds the id of the instance called name. Returns 0, or -ENXIO if the app has none such. */
int kos_msg_find_server_id(const char *name, unsigned *idp);

/* Makes instance id (its index in KOS_MSG_SERVERS) the one later calls use. -ENXIO if none. */
int kos_msg_set_active_server_id(unsigned id);

/* The same, by instance name. */
int kos_msg_set_active_server(const char *name);

/*
 * The active instance's connection, for an app's own poll loop (readable: a channel came;
 * then call kos_msg_accept()). The library owns it: do not read, write or close it.
 * Returns the descriptor, or -ENXIO, -EINVAL or -ECONNRESET (the server is gone).
 */
int kos_msg_server_fd(void);

/*
 * Publishes protocol on the active instance, for as long as this app's connection lives.
 * Publishing a name this app already publishes succeeds. Waits for the server's answer
 * without limit (kos-msgd answers at once). Returns 0, -EACCES, -EEXIST, -EMFILE, -EINVAL,
 * -ENXIO or -ECONNRESET.
 */
int kos_msg_publish(const char *protocol);

/*
 * Looks protocol up on the active instance and opens a direct channel to its publisher.
 * While nobody publishes it (or its publisher is busy), retries until timeout_ms passes
 * (0: try once, -1: forever), then returns -ENOENT (-EBUSY); a denial (-EACCES) is final at
 * once. The server's answer to each try is awaited for the time left, but at least a
 * second, so a server that does not answer yields -ETIMEDOUT. On success the caller owns
 * *channelp (free it with kos_msg_channel_free()).
 */
int kos_msg_lookup(const char *protocol, int timeout_ms, KosMsgChannel **channelp);

/*
 * Publisher side: waits up to timeout_ms (-1 forever) for the next client channel on the
 * active instance. On success the caller owns *channelp; -ETIMEDOUT if none came.
 */
int kos_msg_accept(int timeout_ms, KosMsgChannel **channelp);

/*
 * Closes the channel and frees it; the peer sees -ECONNRESET. A publisher's channel is also
 * reported closed to the server, so it stops counting against the client's bound.
 * Accepts NULL; returns NULL.
 */
KosMsgChannel *kos_msg_channel_free(KosMsgChannel *channel);

/* The channel's socket, for poll (readable: a message or the peer's end). Owned by the channel. */
int kos_msg_channel_fd(const KosMsgChannel *channel);

/* The protocol name this channel serves. Owned by the channel. */
const char *kos_msg_channel_protocol(const KosMsgChannel *channel);

/* The app at the other end, as the message server vouches for it. Owned by the channel. */
const char *kos_msg_channel_peer(const KosMsgChannel *channel);

/*
 * Client side: sends a request (size bytes of data, and fd unless it is -1; the caller keeps
 * its fd) and waits up to timeout_ms (-1 forever) for the reply. The timeout covers waiting
 * for room to send, when the publisher is not reading, as well as the reply. Returns
 * -ECONNRESET at once if the publisher dies, -ETIMEDOUT, -EMSGSIZE, -EPROTO. *replyp is
 * written on success (see KosMsgMessage for what it owns); reply->fd is the caller's to close.
 */
int kos_msg_call(KosMsgChannel *channel, const void *data, size_t size, int fd, int timeout_ms,
                 KosMsgMessage *replyp);

/*
 * Sends a one-way message (data and fd as for kos_msg_call()); no reply comes. While the
 * publisher is not reading and the channel is full, waits for room without limit (use
 * kos_msg_channel_fd() with POLLOUT to avoid that). Returns 0, -ECONNRESET or -EMSGSIZE.
 */
int kos_msg_send(KosMsgChannel *channel, const void *data, size_t size, int fd);

/*
 * Publisher side: waits up to timeout_ms (-1 forever, 0 poll) for the next call or one-way
 * message. Returns -ECONNRESET when the client has gone, -ETIMEDOUT (-EAGAIN for 0) if
 * nothing came, -EPROTO for a malformed frame. *messagep is written on success.
 */
int kos_msg_receive(KosMsgChannel *channel, int timeout_ms, KosMsgMessage *messagep);

/*
 * Publisher side: answers request with status (0 success), data and fd (-1 for none; the
 * caller keeps its fd). Never waits: a client that has left its earlier replies unread
 * until the channel is full gets no more, and the call returns -EAGAIN (kos_msg_serve()
 * then closes that channel). Returns 0, -EAGAIN, -ECONNRESET, -EMSGSIZE, or -EINVAL for a
 * one-way request.
 */
int kos_msg_reply(KosMsgChannel *channel, const KosMsgMessage *request, uint32_t status,
                  const void *data, size_t size, int fd);

/*
 * Publisher side: called by kos_msg_serve() for each message. For a call it should reply
 * (kos_msg_reply; a call left unanswered gets status ENOSYS). message->fd is the handler's
 * to close. Returning a negative errno closes that one channel.
 */
typedef int (*KosMsgHandler)(KosMsgChannel *channel, const KosMsgMessage *message, void *userdata);

/*
 * Publisher side: accepts channels on the active instance and dispatches their messages to
 * handler, one at a time, until the server connection ends (returns -ECONNRESET) or an
 * error occurs. Serves at most 1024 channels at once; a channel whose client is gone is
 * closed and forgotten.
 */
int kos_msg_serve(KosMsgHandler handler, void *userdata);

#ifdef __cplusplus
}
#endif
