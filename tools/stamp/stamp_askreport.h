/*
 * stamp_askreport.c: hall-stamp report: the hall's 验签报告 of a file,
 * asked of the hall (POST /sign/verify?report=pdf, docs/modules/stamp.md
 * "验签报告"), written to a file once its stamp is found whole.
 */
#ifndef HALL_STAMP_ASKREPORT_H
#define HALL_STAMP_ASKREPORT_H

/* the command's main: argv[0] is "report"; zh: messages in Chinese.
 * 0 the report written, 2 usage (or no hall known), 3 could not (an
 * unreadable file, the hall refusing or unreachable, an answer that is
 * not a whole stamped PDF) */
int stamp_askreport_main(int argc, char **argv, int zh);

#endif
