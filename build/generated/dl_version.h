#define DL_VERSION "0.1.0"
#define DL_GIT_HASH "unknown"
