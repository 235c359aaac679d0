/*
 * banned.h - turns libc calls that overflow buffers or use hidden static state into compile
 * errors. Included last in every .c file of the project (after all system headers), as git does.
 */
#ifndef LB_UTIL_BANNED_H
#define LB_UTIL_BANNED_H

#define LB_BANNED(func) sorry_##func##_is_banned_in_lockbox

#undef strcpy
#define strcpy(x, y) LB_BANNED(strcpy)
#undef strcat
#define strcat(x, y) LB_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) LB_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) LB_BANNED(strncat)
#undef sprintf
#define sprintf(...) LB_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) LB_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) LB_BANNED(strtok)
#undef gmtime
#define gmtime(t) LB_BANNED(gmtime)
#undef localtime
#define localtime(t) LB_BANNED(localtime)
#undef ctime
#define ctime(t) LB_BANNED(ctime)
#undef asctime
#define asctime(t) LB_BANNED(asctime)
#undef atoi
#define atoi(x) LB_BANNED(atoi)
#undef atol
#define atol(x) LB_BANNED(atol)

#endif
