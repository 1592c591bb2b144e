/* version.h: rpn's release, the one place it is written (rpnd -V, rpn -V, rpnctl -V). */
#ifndef RPN_VERSION_H
#define RPN_VERSION_H

#define RPN_VERSION	"0.1.0"

#endif
