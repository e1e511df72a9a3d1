/* ballbot serial link: CRC-32C, COBS framing, message codec and stream decoder.
 * Portable C99, no malloc, no OS. firmware-bridge/PROTOCOL.md is the contract;
 * firmware-bridge/messages.ts holds the same definitions (the tests check both agree). */
#ifndef BB_LINK_H
#define BB_LINK_H

#include <stddef.h>
#include <stdint.h>

#define BB_PROTOCOL_VERSION 1u
#define BB_HEADER_LEN 3u
#define BB_CRC_LEN 4u
#define BB_MAX_PAYLOAD_LEN 66u
#define BB_MAX_FRAME_LEN (BB_HEADER_LEN + BB_MAX_PAYLOAD_LEN + BB_CRC_LEN)
#define BB_MAX_ENCODED_LEN (BB_MAX_FRAME_LEN + 1u)
/* Encoded frame plus its 0x00 delimiter: the most bytes one encode call writes. */
#define BB_MAX_WIRE_LEN (BB_MAX_ENCODED_LEN + 1u)

enum bb_msg_type {
  BB_MSG_HELLO = 1, BB_MSG_STATE = 2, BB_MSG_COMMAND = 3, BB_MSG_ARM = 4,
  BB_MSG_ESTOP = 5, BB_MSG_HEARTBEAT = 6, BB_MSG_FAULT = 7
};
enum bb_role { BB_ROLE_HOST = 0, BB_ROLE_FIRMWARE = 1 };
enum bb_hello_status { BB_HELLO_OK = 0, BB_HELLO_VERSION_MISMATCH = 1, BB_HELLO_SCHEMA_MISMATCH = 2 };
enum bb_mode { BB_MODE_DISARMED = 0, BB_MODE_ARMED = 1, BB_MODE_ESTOP = 2 };
enum bb_command_mode { BB_COMMAND_TORQUE = 0, BB_COMMAND_ZERO = 1 };
#define BB_ARM_KEY 0x214D5241u /* bytes 'A' 'R' 'M' '!' */
enum bb_fault {
  BB_FAULT_WATCHDOG = 1u << 0, BB_FAULT_ESTOP = 1u << 1, BB_FAULT_TORQUE_CLAMPED = 1u << 2,
  BB_FAULT_BAD_COMMAND = 1u << 3, BB_FAULT_LOW_BATTERY = 1u << 4, BB_FAULT_NOT_PAIRED = 1u << 5,
  BB_FAULT_HANDSHAKE_REJECTED = 1u << 6, BB_FAULT_LINK_ERRORS = 1u << 7
};
enum bb_estop_reason { BB_ESTOP_OPERATOR = 1, BB_ESTOP_HOST_SAFETY = 2, BB_ESTOP_LINK = 3, BB_ESTOP_OTHER = 255 };

typedef struct {
  uint16_t protocol_version; uint32_t schema_hash; uint8_t role; uint8_t status;
  uint16_t watchdog_ms; uint16_t control_rate_hz; float max_torque_nm; uint32_t nonce;
} bb_hello;
typedef struct {
  uint32_t time_us; uint32_t command_seq_echo; float orientation[4]; float gyro[3];
  float wheel_velocity[3]; float wheel_torque[3]; uint16_t battery_mv; uint16_t fault_flags; uint8_t mode;
} bb_state;
typedef struct { uint32_t control_seq; float torque[3]; uint8_t mode; } bb_command;
typedef struct { uint32_t key; uint32_t control_seq; } bb_arm;
typedef struct { uint16_t reason_code; uint8_t reason_len; char reason[16]; } bb_estop;
typedef struct { uint32_t time_us; uint32_t control_seq; uint8_t mode; uint16_t fault_flags; } bb_heartbeat;
typedef struct { uint16_t fault_code; uint16_t fault_flags; uint32_t time_us; float value; } bb_fault_msg;

typedef struct {
  uint8_t type;
  uint16_t seq;
  union {
    bb_hello hello; bb_state state; bb_command command; bb_arm arm;
    bb_estop estop; bb_heartbeat heartbeat; bb_fault_msg fault;
  } u;
} bb_message;

/* CRC-32C (Castagnoli), init/xorout 0xFFFFFFFF, reflected. */
uint32_t bb_crc32c(const uint8_t *bytes, size_t len);
/* COBS: encode returns bytes written (no delimiter); decode returns length or -1 if invalid. */
size_t bb_cobs_encode(const uint8_t *src, size_t len, uint8_t *dst);
int bb_cobs_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t dst_cap);

/* Payload length of a message type, 0 for an unknown type. */
size_t bb_payload_len(uint8_t type);
/* The canonical schema text (same as messages.ts schemaText()) and its CRC-32C. */
const char *bb_schema_text(void);
uint32_t bb_schema_hash(void);

typedef struct { uint16_t seq; } bb_encoder;
void bb_encoder_init(bb_encoder *enc);
/* Encode msg (its seq is taken from the encoder, which then advances) into out, with the
 * trailing 0x00. Returns bytes written (at most BB_MAX_WIRE_LEN), 0 for an unknown type. */
size_t bb_encode(bb_encoder *enc, bb_message *msg, uint8_t out[BB_MAX_WIRE_LEN]);

typedef struct {
  uint32_t frames_ok, bad_crc, too_long, unknown_type, malformed, gaps, stale;
} bb_counters;
typedef struct {
  uint8_t encoded[BB_MAX_ENCODED_LEN];
  uint8_t frame[BB_MAX_FRAME_LEN];
  size_t length;
  uint8_t discarding, have_seq;
  uint16_t last_seq;
  uint8_t stale_run;
  bb_counters counters;
} bb_decoder;
void bb_decoder_init(bb_decoder *dec);
void bb_decoder_reset_sequence(bb_decoder *dec);
/* Push one byte. Returns 1 when it completed a valid frame (decoded into *out), else 0. */
int bb_decoder_push(bb_decoder *dec, uint8_t byte, bb_message *out);
uint32_t bb_decoder_bad(const bb_decoder *dec);

#endif
